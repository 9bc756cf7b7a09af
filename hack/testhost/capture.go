package testhost

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// Nowhere returns an end that no namespace owns: frames sent to it are dropped by
// the receiving kernel without a reply, so they add no traffic of their own.
func Nowhere() *End {
	return &End{
		MAC:  net.HardwareAddr{0x02, 0, 0, 0, 0xaa, 0x01},
		Addr: netip.MustParsePrefix("198.19.255.254/30"),
	}
}

// Collector is a capture.Handler that keeps copies of the frames SeqFrame built, as
// one worker of a capture source saw them. Read its fields only after the source's
// Run returned; while it runs, use Count and TicksSoFar.
type Collector struct {
	mu sync.Mutex
	// Frames are copies of the test frames, in the order they came.
	Frames []capture.Frame
	// Others counts the frames that were not test frames.
	Others int
	// Ticks are the times Tick was called with.
	Ticks []int64
	// KeepAll, set before Run, also keeps copies of every frame in All, test frame
	// or not.
	KeepAll bool
	All     []capture.Frame
}

// HandleFrame keeps a copy of f when it is a test frame, or when KeepAll is set.
func (c *Collector) HandleFrame(f *capture.Frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.KeepAll {
		c.All = append(c.All, copyFrame(f))
	}
	if _, ok := FrameSeq(f.Data); !ok {
		c.Others++
		return
	}
	c.Frames = append(c.Frames, copyFrame(f))
}

func copyFrame(f *capture.Frame) capture.Frame {
	cp := *f
	cp.Data = append([]byte(nil), f.Data...)
	return cp
}

// Tick records now.
func (c *Collector) Tick(now int64) {
	c.mu.Lock()
	c.Ticks = append(c.Ticks, now)
	c.mu.Unlock()
}

// Count reports how many frames the collector kept: test frames, or every frame when
// KeepAll is set.
func (c *Collector) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return max(len(c.Frames), len(c.All))
}

// TicksSoFar returns a copy of the ticks recorded so far.
func (c *Collector) TicksSoFar() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int64(nil), c.Ticks...)
}

// Collectors returns n empty collectors, one for each worker of a source.
func Collectors(n int) []*Collector {
	cs := make([]*Collector, n)
	for i := range cs {
		cs[i] = &Collector{}
	}
	return cs
}

// Handlers returns the collectors as the handlers a source's Run takes.
func Handlers(cs []*Collector) []capture.Handler {
	hs := make([]capture.Handler, len(cs))
	for i, c := range cs {
		hs[i] = c
	}
	return hs
}

// Running is a Run of a capture source in a goroutine of its own.
type Running struct {
	// Cancel cancels the Run's context.
	Cancel context.CancelFunc
	// Done receives what Run returned.
	Done <-chan error
}

// Start runs s with the handlers until Stop or Cancel.
func Start(s capture.Source, handlers []capture.Handler) *Running {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, handlers) }()
	return &Running{Cancel: cancel, Done: done}
}

// Stop cancels the Run and fails t when Run returns an error or does not return
// within 5 s.
func (r *Running) Stop(t testing.TB) {
	t.Helper()
	r.Cancel()
	if err := r.Wait(t, 5*time.Second); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// Wait returns what Run returned, and fails t when Run does not return within d.
func (r *Running) Wait(t testing.TB, d time.Duration) error {
	t.Helper()
	select {
	case err := <-r.Done:
		return err
	case <-time.After(d):
		t.Fatalf("Run did not return within %v", d)
		return nil
	}
}

// WaitFrames waits until the collectors have kept want frames together or timeout
// passes, then 50 ms longer, so that frames beyond want, if any, are kept too.
func WaitFrames(cs []*Collector, want int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		n := 0
		for _, c := range cs {
			n += c.Count()
		}
		if n >= want {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
}

// Collect runs s with the collectors until they have kept want frames together or
// timeout passes, as WaitFrames waits, and fails t when Run fails.
func Collect(t testing.TB, s capture.Source, cs []*Collector, want int,
	timeout time.Duration) {
	t.Helper()
	r := Start(s, Handlers(cs))
	WaitFrames(cs, want, timeout)
	r.Stop(t)
}

// FrameWant is what every captured copy of a test frame must carry besides its bytes.
type FrameWant struct {
	IfIndex  uint32
	LinkType capture.LinkType
	// NotBefore and NotAfter bound the timestamps, in Unix nanoseconds.
	NotBefore, NotAfter int64
}

// ExpectEachOnce fails t unless frames hold every frame of sent exactly once, where
// sent[i] is the test frame with sequence number i: byte for byte, with its length
// as the wire length, and with the interface, link type and a timestamp as want says.
func ExpectEachOnce(t testing.TB, frames []capture.Frame, sent [][]byte, want FrameWant) {
	t.Helper()
	got := make([]int, len(sent))
	for _, f := range frames {
		seq, _ := FrameSeq(f.Data)
		if int(seq) >= len(sent) {
			t.Fatalf("unknown sequence number %d", seq)
		}
		got[seq]++
		if !bytes.Equal(f.Data, sent[seq]) {
			t.Errorf("frame %d:\n got % x\nwant % x", seq, f.Data, sent[seq])
		}
		if f.WireLen != len(sent[seq]) || f.IfIndex != want.IfIndex ||
			f.LinkType != want.LinkType {
			t.Errorf("frame %d: wire length %d, ifindex %d, link type %d; want %d, %d, %d",
				seq, f.WireLen, f.IfIndex, f.LinkType, len(sent[seq]), want.IfIndex,
				want.LinkType)
		}
		if f.Timestamp < want.NotBefore || f.Timestamp > want.NotAfter {
			t.Errorf("frame %d: timestamp %d outside [%d, %d]", seq, f.Timestamp,
				want.NotBefore, want.NotAfter)
		}
	}
	for seq, n := range got {
		if n != 1 {
			t.Errorf("frame %d received %d times", seq, n)
		}
	}
}

// Counter is a capture.Handler as cheap as a handler gets: it reads the last byte of
// every frame, so that the frame's memory is touched as by a real handler, counts the
// frames and keeps nothing. Count may be read while a source runs.
type Counter struct {
	frames atomic.Int64
	sum    byte
}

// HandleFrame counts f.
func (c *Counter) HandleFrame(f *capture.Frame) {
	c.sum += f.Data[len(f.Data)-1]
	c.frames.Add(1)
}

// Tick does nothing.
func (c *Counter) Tick(int64) {}

// Count reports the frames counted so far.
func (c *Counter) Count() int64 { return c.frames.Load() }

// WaitCount waits until c has counted want frames or no frame came for idle, and
// returns the count.
func (c *Counter) WaitCount(want int64, idle time.Duration) int64 {
	last, lastChange := c.Count(), time.Now()
	for last < want && time.Since(lastChange) < idle {
		time.Sleep(time.Millisecond)
		if n := c.Count(); n != last {
			last, lastChange = n, time.Now()
		}
	}
	return last
}
