package xdpsource

import (
	"fmt"
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

// TestClosedConnectionIsOneBiflow closes a TCP connection with FINs and lets the
// default drain interval pass, far beyond the FIN wait, before its parts are drained:
// the two directions, merged one after the other, must still make one record, with
// the kernel counting alone and with the first packets through AF_XDP sockets.
func TestClosedConnectionIsOneBiflow(t *testing.T) {
	testhost.RequireRoot(t)
	for _, redirect := range []uint32{0, 2} {
		t.Run(fmt.Sprintf("redirect first %d", redirect), func(t *testing.T) {
			h := testhost.New(t, testhost.Options{})
			_, col, stop := runEngine(t, h, Options{Interface: h.Probe.Link,
				DrainInterval: DefaultDrainInterval,
				Program:       xdpflow.Config{RedirectFirst: redirect}})
			time.Sleep(100 * time.Millisecond)
			const syn, ack, fin = 0x02, 0x10, 0x01
			if err := h.Peer.Inject(
				tcpFrame(t, &h.Peer, &h.Probe, 40000, 80, syn),
				tcpFrame(t, &h.Probe, &h.Peer, 80, 40000, syn|ack),
				tcpFrame(t, &h.Peer, &h.Probe, 40000, 80, ack|fin),
				tcpFrame(t, &h.Probe, &h.Peer, 80, 40000, ack|fin),
				tcpFrame(t, &h.Peer, &h.Probe, 40000, 80, ack),
			); err != nil {
				t.Fatal(err)
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
