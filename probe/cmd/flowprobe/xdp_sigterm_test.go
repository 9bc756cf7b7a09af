package main

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// TestXDPSIGTERMUnderLoad stops flowprobe --mode xdp with SIGTERM while frames of 256
// flows are being injected as fast as one thread can, three times. Every packet the
// program counted must be exported (exported packets equal the table and ring buffer
// packets of the program's own summary, none was lost for want of room, and the
// frames the program saw are those packets plus the unparsed ones), and no XDP program
// may be left on the interface.
func TestXDPSIGTERMUnderLoad(t *testing.T) {
	testhost.RequireRoot(t)
	for round := range 3 {
		host := testhost.New(t, testhost.Options{})
		sum, exported, sent := sigtermUnderLoad(t, host)
		t.Logf("round %d: sent %d frames, program saw %d, exported %d packets", round,
			sent, sum.Frames, exported)
		if sum.RingLost != 0 {
			t.Errorf("round %d: %d packets lost with tables and ring buffer full", round,
				sum.RingLost)
		}
		if exported != sum.TablePackets+sum.RingPackets {
			t.Errorf("round %d: exported %d packets, the program counted %d in tables "+
				"and %d through the ring buffer", round, exported, sum.TablePackets,
				sum.RingPackets)
		}
		if sum.Frames != exported+sum.Unparsed {
			t.Errorf("round %d: program saw %d frames, exported %d packets + %d unparsed",
				round, sum.Frames, exported, sum.Unparsed)
		}
		if exported == 0 || sent <= exported {
			t.Errorf("round %d: sent %d, exported %d: the stop did not come under load",
				round, sent, exported)
		}
		err := host.Probe.Do(func() error {
			link, err := netlink.LinkByName(host.Probe.Link)
			if err != nil {
				return err
			}
			if x := link.Attrs().Xdp; x != nil && x.Attached {
				t.Errorf("round %d: XDP program %d still attached", round, x.ProgId)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// sigtermUnderLoad runs one round: it returns the program's summary, the packets in
// exported records and the frames injected.
func sigtermUnderLoad(t *testing.T, host *testhost.Host) (xdpSummary, uint64, uint64) {
	run := startLive(t, host, "--mode", "xdp")
	var sent atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { flood(t, host, stop, &sent) })
	time.Sleep(300 * time.Millisecond)
	run.stop(t)
	close(stop)
	wg.Wait()
	var exported uint64
	for _, r := range readCSV(t, run.stdout.String()) {
		exported += r.uint(t, "PACKETS") + r.uint(t, "PACKETS_REV")
	}
	return run.summary(t), exported, sent.Load()
}

// flood injects UDP frames of 256 flows in batches of 256 until stop is closed.
func flood(t *testing.T, host *testhost.Host, stop chan struct{}, sent *atomic.Uint64) {
	inj, err := host.Peer.NewInjector()
	if err != nil {
		t.Error(err)
		return
	}
	defer inj.Close()
	frames := make([][]byte, 256)
	for i := range frames {
		frames[i], err = testhost.UDP4Frame(&host.Peer, &host.Probe, uint16(10000+i), 9, 0,
			make([]byte, 64))
		if err != nil {
			t.Error(err)
			return
		}
	}
	for {
		select {
		case <-stop:
			return
		default:
		}
		n, err := inj.SendBatch(frames)
		sent.Add(uint64(n))
		if err != nil {
			t.Error(err)
			return
		}
	}
}
