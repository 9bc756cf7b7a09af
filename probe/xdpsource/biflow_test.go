package xdpsource

import (
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/bpf/xdpflow"
	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// tcpFrame is a TCP segment with the given flags from one end to the other, made from
// a UDP frame: the XDP program and the parser read only the header fields.
func tcpFrame(t *testing.T, from, to *testhost.End, sport, dport uint16, flags byte) []byte {
	t.Helper()
	payload := make([]byte, 20)
	payload[4] = 0x50 // data offset 5, at byte 12 of the TCP header
	payload[5] = flags
	f, err := testhost.UDP4Frame(from, to, sport, dport, 0, payload)
	if err != nil {
		t.Fatal(err)
	}
	f[14+9] = 6 // IPv4 protocol
	return f
}

// TestClosedConnectionIsOneBiflow closes a TCP connection and lets the default drain
// interval pass, far beyond the FIN wait, before its parts are drained: the two
// directions, merged one after the other, must still make one record, with the
// kernel counting alone, with the first packets through AF_XDP sockets, and when the
// connection ended between the program's attach and the start of the run.
func TestClosedConnectionIsOneBiflow(t *testing.T) {
	testhost.RequireRoot(t)
	const syn, ack, fin, rst = 0x02, 0x10, 0x01, 0x04
	cases := []struct {
		name     string
		redirect uint32
		close    byte          // the flag that ends the connection
		idle     time.Duration // between the connection and the start of the run
	}{
		{"fins", 0, fin, 0},
		{"fins, first 2 packets through sockets", 2, fin, 0},
		{"fins 2 s before the run", 0, fin, 2 * time.Second},
		{"reset 300 ms before the run", 0, rst, 300 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := testhost.New(t, testhost.Options{})
			src := openInHost(t, h, Options{Interface: h.Probe.Link,
				DrainInterval: DefaultDrainInterval,
				Program:       xdpflow.Config{RedirectFirst: tc.redirect}})
			var col *collector
			var stop func()
			if tc.idle == 0 {
				col, stop = startEngine(t, src)
				time.Sleep(100 * time.Millisecond)
			}
			if err := h.Peer.Inject(
				tcpFrame(t, &h.Peer, &h.Probe, 40000, 80, syn),
				tcpFrame(t, &h.Probe, &h.Peer, 80, 40000, syn|ack),
				tcpFrame(t, &h.Peer, &h.Probe, 40000, 80, ack|tc.close),
				tcpFrame(t, &h.Probe, &h.Peer, 80, 40000, ack|tc.close),
				tcpFrame(t, &h.Peer, &h.Probe, 40000, 80, ack),
			); err != nil {
				t.Fatal(err)
			}
			if tc.idle > 0 {
				time.Sleep(tc.idle)
				col, stop = startEngine(t, src)
			}
			time.Sleep(DefaultDrainInterval + 2*time.Second) // past a drain and the FIN wait
			stop()
			var recs []flow.Record
			for _, r := range col.records {
				if r.Protocol == 6 {
					recs = append(recs, r)
				}
			}
			if len(recs) != 1 || recs[0].Packets != 3 || recs[0].PacketsRev != 2 ||
				recs[0].EndReason != flow.EndOfFlow {
				t.Fatalf("records %+v, want one biflow of 3 and 2 packets ended by its close",
					recs)
			}
		})
	}
}
