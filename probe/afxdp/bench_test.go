package afxdp

import (
	"runtime"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/bpf/attach"
	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/capture"
)

func TestNoAllocationPerFrame(t *testing.T) {
	testhost.RequireRoot(t)
	s, inj, frame := liveHost(t, openAFXDP)

	c := &testhost.Counter{}
	r := testhost.Start(s, []capture.Handler{c})
	send := func(n int) {
		for i := range n {
			// The consumer stays within a quarter of the ring, so nothing drops.
			for int64(i)-c.Count() > DefaultRxRingSize/4 {
				time.Sleep(20 * time.Microsecond)
			}
			testhost.SetFrameSeq(frame, uint32(i))
			if err := inj.Send(frame); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(1000)
	c.WaitCount(1000, time.Second)

	const n = 50000
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	send(n)
	got := c.WaitCount(1000+n, time.Second) - 1000
	runtime.ReadMemStats(&after)
	r.Stop(t)

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
		open openFunc
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
		{"afpacket", openAFPacket},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			s, inj, frame := liveHost(b, k.open)

			c := &testhost.Counter{}
			r := testhost.Start(s, []capture.Handler{c})
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				testhost.SetFrameSeq(frame, uint32(i))
				if err := inj.Send(frame); err != nil {
					b.Fatal(err)
				}
			}
			got := c.WaitCount(int64(b.N), 200*time.Millisecond)
			elapsed := time.Since(start)
			b.StopTimer()
			r.Stop(b)

			rate := float64(got) / elapsed.Seconds()
			rates[k.name] = rate
			b.ReportMetric(rate, "frames/s")
			b.ReportMetric(float64(int64(b.N)-got)/float64(b.N)*100, "%lost")
			if xs, ok := s.(*Source); ok {
				st, err := xs.Stats()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(st.Undelivered()), "xsk-drops")
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
		open openFunc
	}{
		{"afxdp", func(e *testhost.End) (capture.Source, error) {
			return New(Options{Interface: e.Link, Frames: 2 * batch, FillRingSize: batch,
				RxRingSize: batch})
		}},
		{"afpacket", openAFPacket},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			s, inj, frame := liveHost(b, k.open)

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
				c := &testhost.Counter{}
				b.StartTimer()
				start := time.Now()
				r := testhost.Start(s, []capture.Handler{c})
				deadline := start.Add(10 * time.Second)
				for c.Count() < batch {
					if time.Now().After(deadline) {
						b.Fatalf("drained %d of %d frames in 10 s", c.Count(), batch)
					}
					runtime.Gosched()
				}
				busy += time.Since(start)
				b.StopTimer()
				r.Stop(b)
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
