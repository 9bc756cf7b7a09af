package xdpsource

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/bpf/xdpflow"
	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/engine"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// collector is an exporter that keeps every record.
type collector struct {
	mu      sync.Mutex
	records []flow.Record
}

func (c *collector) Export(records []flow.Record) error {
	c.mu.Lock()
	c.records = append(c.records, records...)
	c.mu.Unlock()
	return nil
}
func (c *collector) Flush() error { return nil }
func (c *collector) Close() error { return nil }

// runEngine opens a Source with opts in the probe end's namespace and runs an engine
// on it that exports to the returned collector. stop cancels the run and fails t if
// it ended with an error; the source is closed when the test ends.
func runEngine(t *testing.T, h *testhost.Host, opts Options) (*Source, *collector,
	func()) {
	t.Helper()
	src := openInHost(t, h, opts)
	col, stop := startEngine(t, src)
	return src, col, stop
}

// openInHost opens a Source with opts in the probe end's namespace, closed when the
// test ends.
func openInHost(t *testing.T, h *testhost.Host, opts Options) *Source {
	t.Helper()
	var src *Source
	if err := h.Probe.Do(func() (err error) {
		src, err = New(opts)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// startEngine runs an engine on src that exports to the returned collector; stop
// cancels the run and fails t if it ended with an error.
func startEngine(t *testing.T, src *Source) (*collector, func()) {
	t.Helper()
	col := &collector{}
	eng, err := engine.New(src, []flow.Exporter{col}, engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	return col, func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("engine: %v", err)
		}
	}
}

type sentFlow struct {
	packets, bytes uint64
}

// TestEndToEnd injects UDP flows on the peer end of a veth pair, lets the XDP source
// on the probe end count them, stops, and requires the exported records to match what
// was sent: keys, packets, IP bytes, MACs, interface and times. The small table runs
// the same traffic through the ring buffer; the redirect cases send the first packets
// of each flow, or all of them, through AF_XDP sockets to the same flow cache.
func TestEndToEnd(t *testing.T) {
	testhost.RequireRoot(t)
	cases := []struct {
		name  string
		table uint32
		// drain is the drain interval; at 10 s only the drain at shutdown can
		// deliver the flows.
		drain time.Duration
		// redirect is Program.RedirectFirst.
		redirect uint32
	}{
		{"tables", 1024, 200 * time.Millisecond, 0},
		{"ring buffer", 4, 200 * time.Millisecond, 0},
		{"shutdown", 1024, MaxDrainInterval, 0},
		{"first 3 to sockets", 1024, 200 * time.Millisecond, 3},
		{"first 3 to sockets, shutdown", 1024, MaxDrainInterval, 3},
		{"all to sockets", 1024, 200 * time.Millisecond, xdpflow.RedirectAll},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := testhost.New(t, testhost.Options{})
			start := time.Now()
			src, col, stop := runEngine(t, h, Options{Interface: h.Probe.Link,
				Program: xdpflow.Config{TableEntries: tc.table,
					RedirectFirst: tc.redirect},
				DrainInterval: tc.drain})

			sent, total := inject(t, h)
			if tc.drain == MaxDrainInterval {
				waitForMarker(t, h, src)
			} else {
				waitForPackets(t, src, total)
			}
			stop()
			end := time.Now()

			checkRecords(t, h, col.records, sent, start, end)
			st := src.Stats()
			// With one drain only, more partial flows than flows means CPUs split them.
			if runtime.NumCPU() > 1 && tc.drain == MaxDrainInterval &&
				st.Partials <= uint64(len(sent)) {
				t.Errorf("flows were not split over CPUs: %d partials for %d flows",
					st.Partials, len(sent))
			}
			if tc.table == 4 && st.RingPackets == 0 {
				t.Errorf("no packet took the ring buffer: %+v", st)
			}
			if st.Program[xdpflow.CounterRingLost] != 0 {
				t.Errorf("ring buffer lost packets: %+v", st)
			}
			checkRedirects(t, tc.redirect, st, total)
		})
	}
}

// inject sends 20 UDP flows of 1 to 20 packets, with varying payloads, one of them
// VLAN-tagged, interleaved so that flows are live at the same time. Rounds alternate
// between the CPUs, and a veth receives on the sender's CPU, so flows are counted in
// more than one CPU's table and the cache has to add the parts up.
func inject(t *testing.T, h *testhost.Host) (map[flow.Key]sentFlow, uint64) {
	t.Helper()
	inj, err := h.Peer.NewInjector()
	if err != nil {
		t.Fatal(err)
	}
	defer inj.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		t.Fatal(err)
	}
	defer unix.SchedSetaffinity(0, &all)
	sent := map[flow.Key]sentFlow{}
	var total uint64
	for round := range 20 {
		var cpu unix.CPUSet
		cpu.Set(round % runtime.NumCPU())
		if err := unix.SchedSetaffinity(0, &cpu); err != nil {
			t.Fatal(err)
		}
		for i := round; i < 20; i++ {
			vlan := uint16(0)
			if i == 7 {
				vlan = 7
			}
			payload := bytes.Repeat([]byte{byte(i)}, 10*i+round)
			frame, err := testhost.UDP4Frame(&h.Peer, &h.Probe, uint16(20000+i), 9, vlan,
				payload)
			if err != nil {
				t.Fatal(err)
			}
			if err := inj.Send(frame); err != nil {
				t.Fatal(err)
			}
			var k flow.Key
			k.SetAddrs(h.Peer.Addr.Addr(), h.Probe.Addr.Addr())
			k.SrcPort, k.DstPort, k.Protocol, k.VLAN = uint16(20000+i), 9, 17, vlan
			s := sent[k]
			s.packets++
			s.bytes += uint64(20 + 8 + len(payload))
			sent[k] = s
			total++
		}
	}
	return sent, total
}

// waitForMarker sends, after the flows, a frame with five VLAN tags, which the program
// counts as unsupported and nothing else on the link produces, and waits for the
// counter: the frames before it have then been counted too, since one injecting
// thread's frames are received in order.
func waitForMarker(t *testing.T, h *testhost.Host, src *Source) {
	t.Helper()
	marker := append(append([]byte{}, h.Probe.MAC...), h.Peer.MAC...)
	for range 5 {
		marker = append(marker, 0x81, 0x00, 0x00, 0x01)
	}
	marker = append(marker, 0x08, 0x00)
	if err := h.Peer.Inject(append(marker, make([]byte, 46)...)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		cnt, err := src.objs.Counters()
		if err != nil {
			t.Fatal(err)
		}
		if cnt[xdpflow.CounterUnsupported] > 0 {
			if st := src.Stats(); st.Drains != 0 {
				t.Fatalf("tables drained before shutdown: %+v", st)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the marker frame never reached the program")
}

// waitForPackets waits until the source has merged at least n packets.
func waitForPackets(t *testing.T, src *Source, n uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		st := src.Stats()
		if st.Packets+st.RingPackets+st.Sockets.Received >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("source merged only %+v of %d packets", src.Stats(), n)
}

func checkRecords(t *testing.T, h *testhost.Host, records []flow.Record,
	sent map[flow.Key]sentFlow, start, end time.Time) {
	t.Helper()
	got := map[flow.Key]sentFlow{}
	for _, r := range records {
		if r.Protocol != 17 {
			continue // whatever else the kernel sent on the link
		}
		s := got[r.Key]
		if s.packets != 0 {
			// Nothing times out during a test, so the parts must meet in one record.
			t.Errorf("flow %v:%d is in more than one record", r.SrcIP(), r.SrcPort)
		}
		s.packets += r.Packets + r.PacketsRev
		s.bytes += r.Bytes + r.BytesRev
		got[r.Key] = s
		if r.IfIndex != uint32(h.Probe.IfIndex) || r.EndReason != flow.EndForced {
			t.Errorf("record %+v: ifindex %d end %s", r.Key, r.IfIndex, r.EndReason)
		}
		if !bytes.Equal(r.SrcMAC[:], h.Peer.MAC) || !bytes.Equal(r.DstMAC[:], h.Probe.MAC) {
			t.Errorf("record %+v: MACs %x -> %x", r.Key, r.SrcMAC, r.DstMAC)
		}
		// The coarse clock may lag by a tick (at most 10 ms).
		slack := 20 * time.Millisecond
		first, last := time.Unix(0, r.TimeFirst), time.Unix(0, r.TimeLast)
		if first.Before(start.Add(-slack)) || last.After(end.Add(slack)) || last.Before(first) {
			t.Errorf("record %+v: times %v .. %v outside the run %v .. %v", r.Key,
				first, last, start, end)
		}
	}
	for k, s := range sent {
		if got[k] != s {
			t.Errorf("flow %v:%d vlan %d: exported %+v, sent %+v", k.SrcIP(), k.SrcPort,
				k.VLAN, got[k], s)
		}
	}
	if len(got) != len(sent) {
		t.Errorf("exported %d UDP flows, sent %d", len(got), len(sent))
	}
}

// checkRedirects checks the split between kernel and sockets: with redirect 0 no
// frame went to a socket; otherwise every redirected frame was received, none was
// dropped or missed its socket, and with every frame redirected, none of the sent
// packets reached a table.
func checkRedirects(t *testing.T, redirect uint32, st Stats, sent uint64) {
	t.Helper()
	got := st.Program[xdpflow.CounterRedirected]
	switch {
	case redirect == 0 && got != 0:
		t.Errorf("%d frames redirected with redirect off", got)
	case redirect != 0 && got == 0:
		t.Errorf("no frame redirected: %+v", st)
	case st.Sockets.Received != got || st.Sockets.Undelivered() != 0:
		t.Errorf("program redirected %d frames, sockets received %d and dropped %d",
			got, st.Sockets.Received, st.Sockets.Undelivered())
	case st.Program[xdpflow.CounterNoSocket] != 0:
		t.Errorf("%d frames found no socket", st.Program[xdpflow.CounterNoSocket])
	case redirect == xdpflow.RedirectAll && st.Packets != 0:
		t.Errorf("%d packets counted in tables with every frame redirected", st.Packets)
	case redirect != 0 && redirect != xdpflow.RedirectAll && st.Packets+got < sent:
		t.Errorf("tables %d + redirected %d < %d sent", st.Packets, got, sent)
	}
}
