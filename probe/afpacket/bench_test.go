package afpacket

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/capture"
)

// injectN sends n copies of frame from the peer end.
func injectN(tb testing.TB, h *testhost.Host, frame []byte, n int) {
	tb.Helper()
	inj, err := h.Peer.NewInjector()
	if err != nil {
		tb.Fatal(err)
	}
	defer inj.Close()
	batch := make([][]byte, 256)
	for i := range batch {
		batch[i] = frame
	}
	for sent := 0; sent < n; sent += len(batch) {
		if _, err := inj.SendBatch(batch[:min(len(batch), n-sent)]); err != nil {
			tb.Fatal(err)
		}
	}
}

func TestNoAllocationPerFrame(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	s := openSource(t, h, Options{})
	const n = 20000
	injectN(t, h, testFrame(t, &h.Peer, nobody, 1, 2, 7, 0), n)

	c := &testhost.Counter{}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := testhost.Start(s, []capture.Handler{c})
	got := c.WaitCount(n, time.Second)
	r.Stop(t)
	runtime.ReadMemStats(&after)
	if got < n {
		t.Fatalf("received %d frames of %d", got, n)
	}
	// Run itself allocates a few dozen objects (goroutines, context); none per frame.
	if allocs := after.Mallocs - before.Mallocs; allocs > n/100 {
		t.Errorf("%d allocations to deliver %d VLAN-tagged frames", allocs, n)
	}
}

// BenchmarkDrainRing measures how fast a worker hands frames from ring blocks to a
// handler, free of the kernel's and the injector's costs: it captures 20,000 frames
// once, copies the filled blocks out of the ring, and then delivers from those copies
// as often as the benchmark asks, so any -benchtime stays quick.
func BenchmarkDrainRing(b *testing.B) {
	testhost.RequireRoot(b)
	h := testhost.New(b, testhost.Options{})
	s := testhost.Open(b, &h.Probe, func() (*Source, error) {
		return New(Options{Interface: h.Probe.Link, BlockTimeout: 50 * time.Millisecond})
	})
	// Every other frame has a VLAN tag that the source must put back.
	injectN(b, h, testFrame(b, &h.Peer, nobody, 1, 2, 0, 0), 10000)
	injectN(b, h, testFrame(b, &h.Peer, nobody, 1, 2, 7, 0), 10000)
	time.Sleep(100 * time.Millisecond) // the last block retires

	r := s.rings[0]
	var blocks [][]byte
	for {
		blk, ok := r.readyBlock()
		if !ok {
			break
		}
		blocks = append(blocks, append([]byte(nil), blk...))
		r.releaseBlock(blk)
	}
	if len(blocks) == 0 {
		b.Fatal("no block filled")
	}
	fake := &ring{blockSize: r.blockSize, scratch: make([]byte, 0, r.blockSize+4)}
	c := &testhost.Counter{}
	frame := capture.Frame{IfIndex: s.IfIndex(), LinkType: s.LinkType()}

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; c.Count() < int64(b.N); i++ {
		blk := blocks[i%len(blocks)]
		fake.deliver(blk, c, &frame)
		// What releaseBlock does, then hand the copy back as if refilled.
		atomic.StoreUint32(fake.blockStatus(blk), unix.TP_STATUS_KERNEL)
		atomic.StoreUint32(fake.blockStatus(blk), unix.TP_STATUS_USER)
	}
	b.StopTimer()
	b.ReportMetric(float64(c.Count())/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkLiveVeth injects frames from one goroutine, 64 per sendmmsg call, while
// the source captures, and reports the capture rate next to the injection rate: on a
// veth the injector is the bottleneck, and the ratio shows whether capture keeps up.
// Frames the kernel drops before capture (a full backlog queue) count as not captured.
func BenchmarkLiveVeth(b *testing.B) {
	testhost.RequireRoot(b)
	for _, workers := range []int{1, 2} {
		b.Run(map[int]string{1: "1worker", 2: "2workers"}[workers], func(b *testing.B) {
			h := testhost.New(b, testhost.Options{})
			s := testhost.Open(b, &h.Probe, func() (*Source, error) {
				return New(Options{Interface: h.Probe.Link, Workers: workers})
			})
			hs := make([]capture.Handler, workers)
			counters := make([]*testhost.Counter, workers)
			for i := range hs {
				counters[i] = &testhost.Counter{}
				hs[i] = counters[i]
			}
			r := testhost.Start(s, hs)

			frames := make([][]byte, 64)
			for i := range frames {
				frames[i] = testFrame(b, &h.Peer, nobody, uint16(1000+i), 2, 0, 0)
			}
			inj, err := h.Peer.NewInjector()
			if err != nil {
				b.Fatal(err)
			}
			defer inj.Close()
			b.ResetTimer()
			for sent := 0; sent < b.N; sent += len(frames) {
				if _, err := inj.SendBatch(frames[:min(len(frames), b.N-sent)]); err != nil {
					b.Fatal(err)
				}
			}
			sent := b.Elapsed()
			var got int64
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
				got = 0
				for _, c := range counters {
					got += c.Count()
				}
				if got >= int64(b.N) {
					break
				}
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			r.Stop(b)
			st, _ := s.Stats()
			b.ReportMetric(float64(b.N)/sent.Seconds(), "injected/s")
			b.ReportMetric(float64(got)/b.Elapsed().Seconds(), "captured/s")
			b.ReportMetric(float64(st.Dropped), "dropped")
		})
	}
}
