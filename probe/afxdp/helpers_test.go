package afxdp

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/capture"
)

// nobody is a destination that no namespace owns: frames to it are dropped by the
// receiving kernel without a reply, so they add no traffic of their own.
var nobody = &testhost.End{
	MAC:  net.HardwareAddr{0x02, 0, 0, 0, 0xaa, 0x01},
	Addr: netip.MustParsePrefix("198.19.255.254/30"),
}

// testFrame builds the seq-th test frame from one end to nobody.
func testFrame(t testing.TB, from *testhost.End, sport uint16, seq uint32) []byte {
	t.Helper()
	f, err := testhost.SeqFrame(from, nobody, sport, 9000, 0, seq)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// openSource opens a source on the end's link and closes it when t ends.
func openSource(t *testing.T, e *testhost.End, opts Options) *Source {
	t.Helper()
	opts.Interface = e.Link
	return openSourceIn(t, e, opts)
}

// openSourceIn opens a source as opts say in the end's network namespace.
func openSourceIn(t *testing.T, e *testhost.End, opts Options) *Source {
	t.Helper()
	return testhost.Open(t, e, func() (*Source, error) { return New(opts) })
}

// collector keeps copies of the test frames one worker saw.
type collector struct {
	mu     sync.Mutex
	frames []capture.Frame
	others int
	ticks  []int64
}

func (c *collector) HandleFrame(f *capture.Frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := testhost.FrameSeq(f.Data); !ok {
		c.others++
		return
	}
	cp := *f
	cp.Data = append([]byte(nil), f.Data...)
	c.frames = append(c.frames, cp)
}

func (c *collector) Tick(now int64) {
	c.mu.Lock()
	c.ticks = append(c.ticks, now)
	c.mu.Unlock()
}

func (c *collector) ticksSoFar() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int64(nil), c.ticks...)
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.frames)
}

func collectors(n int) []*collector {
	cs := make([]*collector, n)
	for i := range cs {
		cs[i] = &collector{}
	}
	return cs
}

func total(cs []*collector) int {
	n := 0
	for _, c := range cs {
		n += c.count()
	}
	return n
}

// running is a Run in progress; stop cancels it and returns Run's error.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

func start(s *Source, cs []*collector) *running {
	handlers := make([]capture.Handler, len(cs))
	for i, c := range cs {
		handlers[i] = c
	}
	return startHandlers(s, handlers)
}

func startHandlers(s capture.Source, handlers []capture.Handler) *running {
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx, handlers) }()
	return r
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of cancelling")
	}
}

// waitFor waits until the collectors hold want test frames together or timeout
// passes, then a little longer for frames beyond want.
func waitFor(cs []*collector, want int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for total(cs) < want && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
}

// xdpState returns the XDP state netlink reports for the end's link.
func xdpState(t *testing.T, e *testhost.End) netlink.LinkXdp {
	t.Helper()
	var xdp netlink.LinkXdp
	err := e.Do(func() error {
		l, err := netlink.LinkByName(e.Link)
		if err == nil && l.Attrs().Xdp != nil {
			xdp = *l.Attrs().Xdp
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return xdp
}
