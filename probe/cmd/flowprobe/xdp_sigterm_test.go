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
// flows are being injected as fast as one thread can, a few times in each way of
// running it: kernel counting only, the first 3 packets of each flow through AF_XDP
// sockets, and every frame through them. Every packet counted must be exported: the
// exported packets equal those of the kernel tables and the ring buffer plus the flow
// packets the sockets received (frames the user-space parser refused aside), nothing
// was lost for want of room in the kernel, every redirected frame was received or
// counted as dropped by its socket, and the frames the program saw add up. No XDP
// program may be left on the interface.
func TestXDPSIGTERMUnderLoad(t *testing.T) {
	testhost.RequireRoot(t)
	cases := []struct {
		name   string
		args   []string
		rounds int
	}{
		{"kernel", nil, 3},
		{"first 3", []string{"--xdp-first-packets", "3"}, 2},
		{"all", []string{"--xdp-first-packets", "all"}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for round := range tc.rounds {
				host := testhost.New(t, testhost.Options{})
				sigtermUnderLoad(t, host, round, tc.args)
				checkDetached(t, host, round)
			}
		})
	}
}

// sigtermUnderLoad runs one round and checks its figures.
func sigtermUnderLoad(t *testing.T, host *testhost.Host, round int, args []string) {
	run := startLive(t, host, append([]string{"--mode", "xdp"}, args...)...)
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
	sum, refused := run.summary(t), run.parserRefused(t)
	t.Logf("round %d: sent %d frames, program saw %d, %d to sockets (%d dropped), "+
		"exported %d packets", round, sent.Load(), sum.Frames, sum.Redirected, sum.Dropped,
		exported)
	if sum.RingLost != 0 {
		t.Errorf("round %d: %d packets lost with tables and ring buffer full", round,
			sum.RingLost)
	}
	counted := sum.TablePackets + sum.RingPackets + sum.Received - refused
	if exported != counted {
		t.Errorf("round %d: exported %d packets, counted %d (tables %d, ring buffer %d, "+
			"sockets %d, refused by the parser %d)", round, exported, counted,
			sum.TablePackets, sum.RingPackets, sum.Received, refused)
	}
	if sum.Redirected != sum.Received+sum.Dropped {
		t.Errorf("round %d: %d frames redirected, sockets received %d and dropped %d",
			round, sum.Redirected, sum.Received, sum.Dropped)
	}
	if want := exported + refused + sum.Dropped + sum.Unparsed; sum.Frames != want {
		t.Errorf("round %d: program saw %d frames, want exported %d + refused %d + "+
			"dropped %d + unparsed %d", round, sum.Frames, exported, refused, sum.Dropped,
			sum.Unparsed)
	}
	if exported == 0 || sent.Load() <= exported {
		t.Errorf("round %d: sent %d, exported %d: the stop did not come under load",
			round, sent.Load(), exported)
	}
}

// checkDetached fails t when an XDP program is still attached to the probe end.
func checkDetached(t *testing.T, host *testhost.Host, round int) {
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
