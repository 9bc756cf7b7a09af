package testhost

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"testing"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// failures records what a check reported instead of failing the test.
type failures struct {
	testing.TB
	msgs []string
}

func (f *failures) Helper() {}

func (f *failures) Errorf(format string, args ...any) {
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}

func (f *failures) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}

// check runs fn with a recorder in a goroutine of its own, so a Fatalf ends only it.
func check(t *testing.T, fn func(tb testing.TB)) []string {
	f := &failures{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f.msgs
}

func TestCollectorAndExpectEachOnce(t *testing.T) {
	a := &End{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1},
		Addr: netip.MustParsePrefix("198.18.0.1/30")}
	sent := make([][]byte, 3)
	for i := range sent {
		f, err := SeqFrame(a, Nowhere(), 1000, 2000, 0, uint32(i))
		if err != nil {
			t.Fatal(err)
		}
		sent[i] = f
	}
	want := FrameWant{IfIndex: 7, LinkType: capture.LinkEthernet, NotBefore: 10, NotAfter: 20}
	frame := func(data []byte) *capture.Frame {
		return &capture.Frame{Data: data, WireLen: len(data), IfIndex: 7,
			LinkType: capture.LinkEthernet, Timestamp: 15}
	}
	cases := []struct {
		name string
		// deliver hands frames to the collector.
		deliver func(c *Collector)
		fails   int
	}{
		{"each once", func(c *Collector) {
			for _, s := range sent {
				c.HandleFrame(frame(s))
			}
		}, 0},
		{"one missing, one twice", func(c *Collector) {
			c.HandleFrame(frame(sent[0]))
			c.HandleFrame(frame(sent[0]))
			c.HandleFrame(frame(sent[2]))
		}, 2},
		{"late timestamp and wrong interface", func(c *Collector) {
			for _, s := range sent {
				f := frame(s)
				if seq, _ := FrameSeq(s); seq == 1 {
					f.Timestamp, f.IfIndex = 21, 8
				}
				c.HandleFrame(f)
			}
		}, 2},
		{"unknown sequence number", func(c *Collector) {
			f, _ := SeqFrame(a, Nowhere(), 1000, 2000, 0, 3)
			c.HandleFrame(frame(f))
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Collector{KeepAll: true}
			tc.deliver(c)
			c.HandleFrame(frame([]byte("not a test frame")))
			if c.Others != 1 || len(c.All) != len(c.Frames)+1 || c.Count() != len(c.All) {
				t.Errorf("%d others, %d frames, %d in all, count %d", c.Others, len(c.Frames),
					len(c.All), c.Count())
			}
			msgs := check(t, func(tb testing.TB) { ExpectEachOnce(tb, c.Frames, sent, want) })
			if len(msgs) != tc.fails {
				t.Errorf("%d failures, want %d: %q", len(msgs), tc.fails, msgs)
			}
		})
	}
}

func TestCollectorKeepsCopies(t *testing.T) {
	a := &End{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1},
		Addr: netip.MustParsePrefix("198.18.0.1/30")}
	data, err := SeqFrame(a, Nowhere(), 1, 2, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	c := &Collector{}
	c.HandleFrame(&capture.Frame{Data: data})
	c.Tick(42)
	// Sources reuse their buffers once HandleFrame returned.
	SetFrameSeq(data, 6)
	if seq, _ := FrameSeq(c.Frames[0].Data); seq != 5 {
		t.Errorf("the kept frame changed with the source's buffer: sequence %d", seq)
	}
	if got := c.TicksSoFar(); len(got) != 1 || got[0] != 42 || len(c.All) != 0 {
		t.Errorf("ticks %v, %d frames in all without KeepAll", got, len(c.All))
	}
}
