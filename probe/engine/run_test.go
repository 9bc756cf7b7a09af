package engine

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/flowcache"
	"github.com/flowprobe/flowprobe/probe/packet"
)

// bothModes runs a test with the cache in the capture goroutine and in a pipeline.
func bothModes(t *testing.T, test func(t *testing.T, pipeline bool)) {
	for _, pipeline := range []bool{false, true} {
		name := "inline"
		if pipeline {
			name = "pipeline"
		}
		t.Run(name, func(t *testing.T) { test(t, pipeline) })
	}
}

func TestRunConservesAndFansOut(t *testing.T) { bothModes(t, runConservesAndFansOut) }

func runConservesAndFansOut(t *testing.T, pipeline bool) {
	frames, ipBytes := traffic(2, 20, 30)
	exps := []*recorder{{}, {}}
	e, err := New(&fakeSource{frames: frames}, []flow.Exporter{exps[0], exps[1]},
		Config{Cache: flowcache.Config{BatchSize: 7}, Pipeline: pipeline})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := e.Stats()
	for i, x := range exps {
		packets, bytes := sum(x.records)
		if packets != 2*20*30 || bytes != ipBytes {
			t.Errorf("exporter %d got %d packets %d bytes, want %d %d", i, packets, bytes,
				2*20*30, ipBytes)
		}
		if len(x.records) != 40 {
			t.Errorf("exporter %d got %d records, want 40 biflows", i, len(x.records))
		}
		if x.closed != 1 || x.flushes == 0 {
			t.Errorf("exporter %d closed %d times, flushed %d times", i, x.closed, x.flushes)
		}
		if st.Exporters[i].Records != 40 {
			t.Errorf("exporter %d stats %+v", i, st.Exporters[i])
		}
	}
	if st.Parser.Frames != 2*(20*30+1) || st.Parser.Reasons[packet.OK] != 2*20*30 ||
		st.Parser.Reasons[packet.NotIP] != 2 {
		t.Errorf("parser stats %+v", st.Parser)
	}
	if st.Flows[flow.EndForced] != 40 || st.Cache.Created != 40 || st.Cache.Active != 0 {
		t.Errorf("flow stats %v, cache %+v", st.Flows, st.Cache)
	}
}

func TestCancelFlushesEverything(t *testing.T) { bothModes(t, cancelFlushesEverything) }

func cancelFlushesEverything(t *testing.T, pipeline bool) {
	frames, _ := traffic(1, 5, 4)
	rec := &recorder{}
	src := &fakeSource{frames: frames, live: true, delivered: make(chan struct{}, 1)}
	e, err := New(src, []flow.Exporter{rec}, Config{Pipeline: pipeline})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	<-src.delivered
	time.Sleep(10 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Run returned before cancel: %v", err)
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if packets, _ := sum(rec.records); packets != 20 || len(rec.records) != 5 {
		t.Fatalf("after cancel: %d records with %d packets, want 5 with 20",
			len(rec.records), packets)
	}
	for _, r := range rec.records {
		if r.EndReason != flow.EndForced {
			t.Fatalf("record ended %v, want forced", r.EndReason)
		}
	}
}

func TestSlowExporter(t *testing.T) {
	frames, ipBytes := traffic(1, 200, 4)
	cases := []struct {
		name      string
		dropAfter time.Duration
		wantLoss  bool
	}{
		{"lossless waits for a slow exporter", 0, false},
		{"live drops for a stuck exporter", 200 * time.Millisecond, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			slow := &recorder{block: make(chan struct{})}
			fast := &recorder{}
			cfg := Config{Cache: flowcache.Config{Capacity: 1024, BatchSize: 1,
				InactiveTimeout: time.Millisecond, SweepPeriod: time.Millisecond},
				QueueBatches: 2, DropAfter: tc.dropAfter}
			src := &fakeSource{frames: frames, delivered: make(chan struct{}, 1)}
			e, err := New(src, []flow.Exporter{slow, fast}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error)
			go func() { done <- e.Run(context.Background()) }()
			if tc.wantLoss {
				// A stuck exporter must not stop the capture.
				<-src.delivered
			} else {
				time.Sleep(50 * time.Millisecond) // let the worker pile up on the queue
			}
			close(slow.block)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			st := e.Stats()
			if _, bytes := sum(fast.records); bytes != ipBytes {
				t.Errorf("fast exporter got %d bytes, want %d", bytes, ipBytes)
			}
			slowSt := st.Exporters[0]
			total := uint64(len(fast.records))
			if slowSt.Records+slowSt.Dropped != total ||
				slowSt.Records != uint64(len(slow.records)) {
				t.Errorf("slow exporter: %+v, %d records kept, want %d in all", slowSt,
					len(slow.records), total)
			}
			if tc.wantLoss != (slowSt.Dropped > 0) {
				t.Errorf("slow exporter dropped %d records, want loss %v", slowSt.Dropped,
					tc.wantLoss)
			}
		})
	}
}

func TestExportErrorsCounted(t *testing.T) {
	frames, _ := traffic(1, 3, 2)
	var reported []int
	e, err := New(&fakeSource{frames: frames}, []flow.Exporter{&recorder{fail: true}},
		Config{ExportError: func(i int, err error) { reported = append(reported, i) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := e.Stats().Exporters[0]
	if st.Errors == 0 || st.Failed != 3 || st.Records != 0 || len(reported) == 0 {
		t.Fatalf("stats %+v, %d errors reported", st, len(reported))
	}
	if err := e.Run(context.Background()); err == nil {
		t.Fatal("second Run succeeded")
	}
}

func TestHandlersMerge(t *testing.T) { bothModes(t, handlersMerge) }

func handlersMerge(t *testing.T, pipeline bool) {
	rec := &recorder{}
	var agg flow.Record
	agg.IPVersion, agg.Protocol, agg.Packets, agg.Bytes = 4, 17, 5, 500
	agg.TimeFirst, agg.TimeLast = t0, t0+1
	src := &mergeSource{agg: agg}
	e, err := New(src, []flow.Exporter{rec}, Config{Pipeline: pipeline})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec.records) != 1 || rec.records[0].Packets != 5 || rec.records[0].Bytes != 500 {
		t.Fatalf("merged flow came out as %+v", rec.records)
	}
}

// lossyExporter reports some records lost in the error of each call, the way the
// IPFIX exporter does when a collector is away.
type lossyExporter struct{ recorder }

type lostError struct{ n int }

func (e *lostError) Error() string { return "records lost" }

func (l *lossyExporter) Export(recs []flow.Record) error {
	l.records = append(l.records, recs...)
	return &lostError{n: 1}
}
func (l *lossyExporter) Close() error { return &lostError{n: 2} }

func TestLostRecordsCounted(t *testing.T) {
	frames, _ := traffic(1, 10, 1)
	exp := &lossyExporter{}
	cfg := Config{Cache: flowcache.Config{BatchSize: 5}, LostRecords: func(err error) (int, bool) {
		le, ok := err.(*lostError)
		if !ok {
			return 0, false
		}
		return le.n, true
	}}
	e, err := New(&fakeSource{frames: frames}, []flow.Exporter{exp}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Run(context.Background()); err == nil {
		t.Fatal("Run hid the close error")
	}
	st := e.Stats().Exporters[0]
	// Two batches of 5 lose 1 each, Close loses 2: 4 of 10 records lost.
	if st.Failed != 4 || st.Records != 6 || st.Errors != 3 {
		t.Fatalf("stats %+v, want 4 failed, 6 delivered, 3 errors", st)
	}
}

// failingSource stops with an error after handing over its frames.
type failingSource struct{ fakeSource }

func (s *failingSource) Run(ctx context.Context, handlers []capture.Handler) error {
	_ = s.fakeSource.Run(ctx, handlers)
	return errors.New("record 7 is cut short")
}

func TestCaptureErrorStillExports(t *testing.T) {
	frames, ipBytes := traffic(1, 4, 3)
	rec := &recorder{}
	e, err := New(&failingSource{fakeSource{frames: frames}}, []flow.Exporter{rec}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	err = e.Run(context.Background())
	var ce *CaptureError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "record 7") {
		t.Fatalf("Run returned %v, want a CaptureError with the cause", err)
	}
	if _, bytes := sum(rec.records); bytes != ipBytes || rec.closed != 1 {
		t.Fatalf("after a capture error: %d of %d bytes exported, closed %d times", bytes,
			ipBytes, rec.closed)
	}
}

// TestAbandonStuckOutput stops a run whose one output never returns from Export:
// Abandon must let Run return, with the stuck output's records counted as dropped
// and the healthy output flushed and closed with every record.
func TestAbandonStuckOutput(t *testing.T) {
	for _, dropAfter := range []time.Duration{0, 50 * time.Millisecond} {
		frames, _ := traffic(1, 50, 2)
		stuck := &recorder{block: make(chan struct{})}
		defer close(stuck.block)
		healthy := &recorder{}
		e, err := New(&fakeSource{frames: frames}, []flow.Exporter{stuck, healthy},
			Config{Cache: flowcache.Config{BatchSize: 4}, QueueBatches: 2,
				DropAfter: dropAfter})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- e.Run(context.Background()) }()
		select {
		case err := <-done:
			t.Fatalf("Run returned (%v) while an output was stuck", err)
		case <-time.After(100 * time.Millisecond):
		}
		e.Abandon()
		var err2 error
		select {
		case err2 = <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return within 5 s of Abandon")
		}
		if !errors.Is(err2, ErrAbandoned) {
			t.Errorf("Run returned %v, want ErrAbandoned", err2)
		}
		st := e.Stats()
		if x := st.Exporters[0]; x.Dropped+x.Failed+x.Records != 50 || x.Dropped == 0 {
			t.Errorf("drop after %v: stuck output %+v, want its 50 records accounted",
				dropAfter, st.Exporters[0])
		}
		if len(healthy.records) != 50 || healthy.closed != 1 {
			t.Errorf("drop after %v: healthy output got %d records, closed %d times",
				dropAfter, len(healthy.records), healthy.closed)
		}
	}
}

// orderSource merges a partial flow and then hands over a packet of the same flow
// that comes after the flow's inactive timeout.
type orderSource struct{}

func (orderSource) Workers() int { return 1 }
func (orderSource) Close() error { return nil }
func (orderSource) Run(_ context.Context, handlers []capture.Handler) error {
	var agg flow.Record
	agg.SetAddrs(netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.1.1"))
	agg.SrcPort, agg.DstPort, agg.Protocol = 1000, 2000, 17
	agg.Packets, agg.Bytes, agg.TimeFirst, agg.TimeLast = 1, 38, t0, t0
	handlers[0].(Merger).Merge(&agg)
	handlers[0].HandleFrame(&capture.Frame{Data: udpFrame(1, 1, 1000, 2000, 10),
		Timestamp: t0 + int64(time.Minute), LinkType: capture.LinkEthernet})
	return nil
}

// TestSourceOrderKept checks that the cache sees merges and packets in the order the
// source gave them: the packet, a minute after the merged part, must find that flow
// ended and open a new one.
func TestSourceOrderKept(t *testing.T) { bothModes(t, sourceOrderKept) }

func sourceOrderKept(t *testing.T, pipeline bool) {
	rec := &recorder{}
	e, err := New(orderSource{}, []flow.Exporter{rec}, Config{Pipeline: pipeline})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec.records) != 2 || rec.records[0].EndReason != flow.EndIdle {
		t.Fatalf("records %+v, want the merged flow ended idle and a new one", rec.records)
	}
}
