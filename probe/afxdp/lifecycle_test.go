package afxdp

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/asavie/xdp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/bpf/attach"
	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/capture"
)

func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestTicksWhileIdleWithoutSpinning(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	s := openSource(t, &h.Probe, Options{TickInterval: 100 * time.Millisecond})

	cs := testhost.Collectors(1)
	cpuBefore := cpuTime(t)
	r := testhost.Start(s, testhost.Handlers(cs))
	time.Sleep(time.Second)
	r.Stop(t)
	cpu := cpuTime(t) - cpuBefore

	ticks := cs[0].Ticks
	// A loaded machine may run a tick late, never early.
	if len(ticks) < 5 || len(ticks) > 12 {
		t.Fatalf("%d ticks in one second with a 100 ms interval", len(ticks))
	}
	for i := 1; i < len(ticks); i++ {
		if gap := time.Duration(ticks[i] - ticks[i-1]); gap < 90*time.Millisecond ||
			gap > 500*time.Millisecond {
			t.Errorf("tick %d came %v after the one before", i, gap)
		}
	}
	// A worker that spun on the empty ring would burn the whole second.
	if cpu > 150*time.Millisecond {
		t.Errorf("idle capture used %v of CPU in one second", cpu)
	}
}

func TestCloseDetachesProgram(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	s := openSource(t, &h.Probe, Options{})
	if x := testhost.XDPState(t, &h.Probe); !x.Attached || x.ProgId == 0 {
		t.Fatalf("no xdp program attached while the source is open: %+v", x)
	}

	cs := testhost.Collectors(1)
	r := testhost.Start(s, testhost.Handlers(cs))
	// The first tick comes as Run starts; Close must stop a Run that is running.
	for deadline := time.Now().Add(2 * time.Second); len(cs[0].TicksSoFar()) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("Run did not tick within 2 s")
		}
		time.Sleep(time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Close stops the running Run.
	if err := r.Wait(t, 2*time.Second); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if x := testhost.XDPState(t, &h.Probe); x.Attached {
		t.Fatalf("xdp program %d still attached after Close", x.ProgId)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Run(t.Context(), []capture.Handler{cs[0]}); err == nil {
		t.Error("Run after Close succeeded")
	}
}

func TestNewFailuresLeaveNothingBehind(t *testing.T) {
	testhost.RequireRoot(t)
	cases := []struct {
		name string
		opts func(h *testhost.Host) Options
		want string
	}{
		{"missing interface", func(h *testhost.Host) Options {
			return Options{Interface: "nosuch0"}
		}, `"nosuch0"`},
		{"queue beyond the device's", func(h *testhost.Host) Options {
			return Options{Interface: h.Probe.Link, Queues: []int{0, 3}}
		}, "queue 3: the interface has 1 rx queues"},
		{"zero-copy on veth", func(h *testhost.Host) Options {
			return Options{Interface: h.Probe.Link, Bind: BindZeroCopy}
		}, "zero-copy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := testhost.New(t, testhost.Options{})
			err := h.Probe.Do(func() error {
				s, err := New(tc.opts(h))
				if err == nil {
					s.Close()
				}
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
			t.Log(err)
			if x := testhost.XDPState(t, &h.Probe); x.Attached {
				t.Errorf("xdp program %d left attached after a failed New", x.ProgId)
			}
		})
	}
}

func TestOtherProgramIsLeftAlone(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	other, err := xdp.NewProgram(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	var l *attach.Link
	err = h.Probe.Do(func() (err error) {
		l, err = attach.XDP(h.Probe.Link, other.Program, attach.Options{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	before := testhost.XDPState(t, &h.Probe)

	err = h.Probe.Do(func() error {
		s, err := New(Options{Interface: h.Probe.Link})
		if err == nil {
			s.Close()
		}
		return err
	})
	if !errors.Is(err, attach.ErrOtherProgram) {
		t.Fatalf("New on an interface with another program: %v", err)
	}
	if after := testhost.XDPState(t, &h.Probe); !after.Attached || after.ProgId != before.ProgId {
		t.Errorf("the other program was disturbed: before %+v, after %+v", before, after)
	}
}

func TestInterfaceRemovedEndsRun(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	s := openSource(t, &h.Probe, Options{TickInterval: 100 * time.Millisecond})
	cs := testhost.Collectors(1)
	r := testhost.Start(s, testhost.Handlers(cs))
	err := h.Probe.Do(func() error {
		l, err := netlink.LinkByName(h.Probe.Link)
		if err != nil {
			return err
		}
		return netlink.LinkDel(l)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Wait(t, 3*time.Second)
	if err == nil || !strings.Contains(err.Error(), "interface was removed") {
		t.Fatalf("Run after the interface was removed: %v", err)
	}
}

// TestCloseUnderLoad closes a source whose worker never runs out of frames, so it
// never waits in poll where the wake-up of Close would reach it.
func TestCloseUnderLoad(t *testing.T) {
	testhost.RequireRoot(t)
	s, inj, frame := liveHost(t, openAFXDP)
	stop := make(chan struct{})
	sending := make(chan struct{})
	go func() {
		defer close(sending)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if inj.Send(frame) != nil {
				return
			}
		}
	}()
	defer func() { close(stop); <-sending }()

	c := &testhost.Counter{}
	r := testhost.Start(s, []capture.Handler{c})
	if c.WaitCount(10000, 5*time.Second) < 10000 {
		t.Fatal("the worker is not receiving")
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Close did not return within 3 s while frames kept coming")
	}
	if err := r.Wait(t, 5*time.Second); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestPromiscuousWhileOpen(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	promiscuity := func() int {
		var n int
		err := h.Probe.Do(func() error {
			l, err := netlink.LinkByName(h.Probe.Link)
			if err == nil {
				n = l.Attrs().Promisc
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	s := openSource(t, &h.Probe, Options{Promiscuous: true})
	if n := promiscuity(); n != 1 {
		t.Errorf("promiscuity %d while the source is open, want 1", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := promiscuity(); n != 0 {
		t.Errorf("promiscuity %d after Close, want 0", n)
	}
}
