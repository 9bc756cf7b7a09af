package afpacket

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/capture"
)

// nobody is a destination that no namespace owns: frames to it are dropped by the
// receiving kernel without a reply, so they add no traffic of their own.
var nobody = &testhost.End{
	MAC:  net.HardwareAddr{0x02, 0, 0, 0, 0xaa, 0x01},
	Addr: netip.MustParsePrefix("198.19.255.254/30"),
}

// testFrame builds the seq-th test frame from one end to another.
func testFrame(t testing.TB, from, to *testhost.End, sport, dport, vlan uint16,
	seq uint32) []byte {
	t.Helper()
	f, err := testhost.SeqFrame(from, to, sport, dport, vlan, seq)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// openSource opens a source on the probe end of h and closes it when t ends.
func openSource(t *testing.T, h *testhost.Host, opts Options) *Source {
	t.Helper()
	opts.Interface = h.Probe.Link
	return testhost.Open(t, &h.Probe, func() (*Source, error) { return New(opts) })
}

// collector keeps copies of the test frames one worker saw.
type collector struct {
	mu     sync.Mutex
	frames []capture.Frame
	others int
	ticks  []int64
	// keepAll keeps copies of every frame in all, test frame or not.
	keepAll bool
	all     []capture.Frame
}

func (c *collector) HandleFrame(f *capture.Frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keepAll {
		cp := *f
		cp.Data = append([]byte(nil), f.Data...)
		c.all = append(c.all, cp)
	}
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

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return max(len(c.frames), len(c.all))
}

// runUntil runs s with the collectors until they hold want test frames together or
// timeout passes, and returns Run's error.
func runUntil(t *testing.T, s *Source, cs []*collector, want int, timeout time.Duration) {
	t.Helper()
	handlers := make([]capture.Handler, len(cs))
	for i, c := range cs {
		handlers[i] = c
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, handlers) }()

	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		n := 0
		for _, c := range cs {
			n += c.count()
		}
		if n >= want {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Frames beyond want, if any, arrive within a block timeout.
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func collectors(n int) []*collector {
	cs := make([]*collector, n)
	for i := range cs {
		cs[i] = &collector{}
	}
	return cs
}
