package xdpsource

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/bpf/xdpflow"
	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/engine"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// discard is an exporter that drops records.
type discard struct{}

func (discard) Export([]flow.Record) error { return nil }
func (discard) Flush() error               { return nil }
func (discard) Close() error               { return nil }

// BenchmarkVethZeroLoss injects UDP frames of 256 flows into a veth whose probe end
// runs the XDP source, for one second at each of a series of rates (frames paced in
// batches of 256 with sendmmsg, one sending thread per CPU), and compares the frames
// the program saw with those sent. It reports the highest rate without loss and the
// rate the senders reach unpaced; the log lists every step. A veth receives on the
// sending CPU, so the program runs inside the senders' system calls: the figure is
// what sender and program reach together on this machine, not the program alone.
// Run with -benchtime 1x.
func BenchmarkVethZeroLoss(b *testing.B) {
	testhost.RequireRoot(b)
	h := testhost.New(b, testhost.Options{})
	var src *Source
	err := h.Probe.Do(func() (err error) {
		src, err = New(Options{Interface: h.Probe.Link,
			Program: xdpflow.Config{TableEntries: 4096}, DrainInterval: 100 * time.Millisecond})
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	eng, err := engine.New(src, []flow.Exporter{discard{}}, engine.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	// One injector per CPU: a veth receives on the sending CPU.
	injs := make([]*testhost.Injector, runtime.NumCPU())
	for i := range injs {
		if injs[i], err = h.Peer.NewInjector(); err != nil {
			b.Fatal(err)
		}
		defer injs[i].Close()
	}
	frames := make([][]byte, 256)
	for i := range frames {
		if frames[i], err = testhost.UDP4Frame(&h.Peer, &h.Probe, uint16(20000+i), 9, 0,
			make([]byte, 18)); err != nil {
			b.Fatal(err)
		}
	}

	for b.Loop() {
		best, before := 0.0, waitSeen(b, src)
		for _, rate := range []float64{1e5, 2e5, 4e5, 8e5, 1.6e6, 0} {
			sent, took := paceAll(b, injs, frames, rate)
			total := waitSeen(b, src)
			seen := total - before
			before = total
			pps := float64(sent) / took.Seconds()
			b.Logf("asked %.0f/s: sent %d at %.0f/s, program saw %d (lost %d)", rate,
				sent, pps, seen, int64(sent)-int64(seen))
			if seen == sent && pps > best {
				best = pps
			}
			if rate == 0 {
				b.ReportMetric(pps, "unpaced-pps")
			}
		}
		b.ReportMetric(best, "zero-loss-pps")
	}
}

// paceAll runs pace on every injector at once, each sending an equal share of rate,
// and returns the frames sent in all and the longest time one took.
func paceAll(b *testing.B, injs []*testhost.Injector, frames [][]byte,
	rate float64) (uint64, time.Duration) {
	sent := make([]uint64, len(injs))
	took := make([]time.Duration, len(injs))
	var wg sync.WaitGroup
	for i, inj := range injs {
		wg.Go(func() {
			sent[i], took[i] = pace(b, inj, frames, rate/float64(len(injs)))
		})
	}
	wg.Wait()
	var all uint64
	for _, n := range sent {
		all += n
	}
	return all, slices.Max(took)
}

// pace sends frames round-robin for one second at rate frames a second, in batches of
// 256, or as fast as it can when rate is 0. It returns what it sent and how long it
// took.
func pace(b *testing.B, inj *testhost.Injector, frames [][]byte, rate float64) (uint64,
	time.Duration) {
	const batch = 256
	start := time.Now()
	var sent uint64
	for i := 0; time.Since(start) < time.Second; i = (i + batch) % len(frames) {
		if rate > 0 {
			due := start.Add(time.Duration(float64(sent) / rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
		}
		n, err := inj.SendBatch(frames[i : i+batch])
		sent += uint64(n)
		if errors.Is(err, unix.ENOBUFS) {
			// The sending socket is out of buffer: back off, as a NIC queue would.
			time.Sleep(50 * time.Microsecond)
			continue
		}
		if err != nil {
			b.Error(err)
			break
		}
	}
	return sent, time.Since(start)
}

// waitSeen waits for two drains after the traffic stopped and returns how many frames
// the program has seen in all.
func waitSeen(b *testing.B, src *Source) uint64 {
	drains := src.Stats().Drains
	deadline := time.Now().Add(5 * time.Second)
	for src.Stats().Drains < drains+2 {
		if time.Now().After(deadline) {
			b.Fatal("no drain within 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	st := src.Stats()
	return st.Packets + st.Program.NotAccounted()
}
