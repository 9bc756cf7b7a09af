package afxdp

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/bpf/attach"
	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/afpacket"
	"github.com/flowprobe/flowprobe/probe/capture"
)

// counter is a handler that reads every frame and keeps nothing, as cheap as a
// handler gets.
type counter struct {
	frames atomic.Int64
	sum    byte
}

func (c *counter) HandleFrame(f *capture.Frame) {
	c.sum += f.Data[len(f.Data)-1]
	c.frames.Add(1)
}

func (c *counter) Tick(int64) {}

// waitCount waits until c has seen want frames or no frame came for idle.
func waitCount(c *counter, want int64, idle time.Duration) int64 {
	last, lastChange := c.frames.Load(), time.Now()
	for last < want && time.Since(lastChange) < idle {
		time.Sleep(time.Millisecond)
		if n := c.frames.Load(); n != last {
			last, lastChange = n, time.Now()
		}
	}
	return last
}

func TestNoAllocationPerFrame(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	s := openSource(t, &h.Probe, Options{})
	inj, err := h.Peer.NewInjector()
	if err != nil {
		t.Fatal(err)
	}
	defer inj.Close()
	frame := testFrame(t, &h.Peer, 40000, 0)

	c := &counter{}
	r := startHandlers(s, []capture.Handler{c})
	send := func(n int) {
		for i := range n {
			// The consumer stays within a quarter of the ring, so nothing drops.
			for int64(i)-c.frames.Load() > DefaultRxRingSize/4 {
				time.Sleep(20 * time.Microsecond)
			}
			testhost.SetFrameSeq(frame, uint32(i))
			if err := inj.Send(frame); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(1000)
	waitCount(c, 1000, time.Second)

	const n = 50000
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	send(n)
	got := waitCount(c, 1000+n, time.Second) - 1000
	runtime.ReadMemStats(&after)
	r.stop(t)

	if got < n {
		t.Fatalf("received %d of %d frames", got, n)
	}
	// Timers, the test's own sleeps and the runtime allocate a little on their
	// own; one allocation per frame would be 50000.
	if mallocs := after.Mallocs - before.Mallocs; mallocs > n/100 {
		t.Errorf("%d allocations while %d frames were received", mallocs, n)
	}
}

// BenchmarkVeth sends frames through a veth pair as fast as one AF_PACKET sender
// can and reports the frames per second each source delivered, with AF_PACKET as
// the reference, and the frames lost on the way. The sender is often the limit.
func BenchmarkVeth(b *testing.B) {
	testhost.RequireRoot(b)
	rates := map[string]float64{}
	kinds := []struct {
		name string
		open func(e *testhost.End) (capture.Source, error)
	}{
		{"afxdp-native", func(e *testhost.End) (capture.Source, error) {
			return New(Options{Interface: e.Link, Attach: attach.ModeNative})
		}},
		{"afxdp-native-nowait", func(e *testhost.End) (capture.Source, error) {
			return New(Options{Interface: e.Link, Attach: attach.ModeNative, BatchWait: -1})
		}},
		{"afxdp-generic", func(e *testhost.End) (capture.Source, error) {
			return New(Options{Interface: e.Link, Attach: attach.ModeGeneric})
		}},
		{"afpacket", func(e *testhost.End) (capture.Source, error) {
			return afpacket.New(afpacket.Options{Interface: e.Link})
		}},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			h := testhost.New(b, testhost.Options{})
			var s capture.Source
			err := h.Probe.Do(func() (err error) {
				s, err = k.open(&h.Probe)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			inj, err := h.Peer.NewInjector()
			if err != nil {
				b.Fatal(err)
			}
			defer inj.Close()
			frame := testFrame(b, &h.Peer, 40000, 0)

			c := &counter{}
			r := startHandlers(s, []capture.Handler{c})
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				testhost.SetFrameSeq(frame, uint32(i))
				if err := inj.Send(frame); err != nil {
					b.Fatal(err)
				}
			}
			got := waitCount(c, int64(b.N), 200*time.Millisecond)
			elapsed := time.Since(start)
			b.StopTimer()
			r.cancel()
			<-r.done

			rate := float64(got) / elapsed.Seconds()
			rates[k.name] = rate
			b.ReportMetric(rate, "frames/s")
			b.ReportMetric(float64(int64(b.N)-got)/float64(b.N)*100, "%lost")
			if xs, ok := s.(*Source); ok {
				st, err := xs.Stats()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(st.Dropped), "xsk-drops")
			}
		})
	}
	if ref := rates["afpacket"]; ref > 0 {
		b.Logf("frames/s relative to afpacket: native %.2f, native without batch wait "+
			"%.2f, generic %.2f", rates["afxdp-native"]/ref, rates["afxdp-native-nowait"]/ref,
			rates["afxdp-generic"]/ref)
	}
}

// BenchmarkDrain measures the user-space side alone: each operation fills the
// source's buffer with 32768 frames while no worker runs, then times one worker
// taking them all, with AF_PACKET as the reference. Injecting dominates the wall
// time, so run it with a small fixed count, e.g. -benchtime 20x.
func BenchmarkDrain(b *testing.B) {
	testhost.RequireRoot(b)
	const batch = 1 << 15
	rates := map[string]float64{}
	kinds := []struct {
		name string
		open func(e *testhost.End) (capture.Source, error)
	}{
		{"afxdp", func(e *testhost.End) (capture.Source, error) {
			return New(Options{Interface: e.Link, Frames: 2 * batch, FillRingSize: batch,
				RxRingSize: batch})
		}},
		{"afpacket", func(e *testhost.End) (capture.Source, error) {
			return afpacket.New(afpacket.Options{Interface: e.Link})
		}},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			h := testhost.New(b, testhost.Options{})
			var s capture.Source
			err := h.Probe.Do(func() (err error) {
				s, err = k.open(&h.Probe)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			inj, err := h.Peer.NewInjector()
			if err != nil {
				b.Fatal(err)
			}
			defer inj.Close()
			frame := testFrame(b, &h.Peer, 40000, 0)

			var busy time.Duration
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				for i := range batch {
					testhost.SetFrameSeq(frame, uint32(i))
					if err := inj.Send(frame); err != nil {
						b.Fatal(err)
					}
				}
				c := &counter{}
				b.StartTimer()
				start := time.Now()
				r := startHandlers(s, []capture.Handler{c})
				deadline := start.Add(10 * time.Second)
				for c.frames.Load() < batch {
					if time.Now().After(deadline) {
						b.Fatalf("drained %d of %d frames in 10 s", c.frames.Load(), batch)
					}
					runtime.Gosched()
				}
				busy += time.Since(start)
				b.StopTimer()
				r.cancel()
				<-r.done
			}
			rate := float64(b.N*batch) / busy.Seconds()
			rates[k.name] = rate
			b.ReportMetric(rate, "frames/s")
			b.ReportMetric(busy.Seconds()*1e9/float64(b.N*batch), "ns/frame")
		})
	}
	if ref := rates["afpacket"]; ref > 0 {
		b.Logf("afxdp drains %.2f times as many frames/s as afpacket", rates["afxdp"]/ref)
	}
}
