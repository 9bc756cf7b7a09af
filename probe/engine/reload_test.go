package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/flowcache"
)

// counter is an exporter safe to read from the test while the engine runs. It
// counts records, packets, and exports that came after Close.
type counter struct {
	records, packets, late atomic.Uint64
	closed                 atomic.Int32
}

func (c *counter) Export(recs []flow.Record) error {
	if c.closed.Load() > 0 {
		c.late.Add(1)
	}
	c.records.Add(uint64(len(recs)))
	p, _ := sum(recs)
	c.packets.Add(p)
	return nil
}
func (c *counter) Flush() error { return nil }
func (c *counter) Close() error { c.closed.Add(1); return nil }

// floodSource sends a stream of UDP packets over many flows on each worker until
// its context ends, ticking every 64 frames, and counts what it sent.
type floodSource struct {
	workers int
	flows   int
	sent    atomic.Uint64
}

func (s *floodSource) Workers() int { return s.workers }
func (s *floodSource) Close() error { return nil }

func (s *floodSource) Run(ctx context.Context, handlers []capture.Handler) error {
	var wg sync.WaitGroup
	for w, h := range handlers {
		wg.Go(func() {
			frame := udpFrame(byte(w), 1, 0, 53, 10)
			ts := t0
			for i := 0; ctx.Err() == nil; i++ {
				ts += int64(time.Microsecond)
				f := i % s.flows
				frame[33] = byte(f >> 16) // last byte of the destination address
				binary.BigEndian.PutUint16(frame[34:], uint16(f))
				h.HandleFrame(&capture.Frame{Data: frame, Timestamp: ts,
					WireLen: len(frame), LinkType: capture.LinkEthernet})
				s.sent.Add(1)
				if i%64 == 0 {
					h.Tick(ts)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

func TestSwapExportersConserves(t *testing.T) { bothModes(t, swapExportersConserves) }

// swapExportersConserves swaps two exporters for one while flows are being created,
// ended for lack of room and exported, and checks that each record reached exactly
// one generation of exporters.
func swapExportersConserves(t *testing.T, pipeline bool) {
	src := &floodSource{workers: 2, flows: 5000}
	old := []*counter{{}, {}}
	e, err := New(src, []flow.Exporter{old[0], old[1]}, Config{Pipeline: pipeline,
		Cache: flowcache.Config{Capacity: 1024, BatchSize: 32}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()

	waitFor(t, func() bool { return old[0].records.Load() > 10000 })
	fresh := &counter{}
	if err := e.SwapExporters([]flow.Exporter{fresh}); err != nil {
		t.Fatal(err)
	}
	for i, o := range old {
		if o.closed.Load() != 1 {
			t.Errorf("old exporter %d closed %d times when the swap returned", i,
				o.closed.Load())
		}
	}
	oldRecords := old[0].records.Load()
	waitFor(t, func() bool { return fresh.records.Load() > 10000 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	st := e.Stats()
	if old[0].records.Load() != oldRecords || old[1].records.Load() != oldRecords ||
		old[0].late.Load()+old[1].late.Load() > 0 {
		t.Errorf("old exporters got records after the swap: %d and %d, then %d",
			oldRecords, old[1].records.Load(), old[0].records.Load())
	}
	total := oldRecords + fresh.records.Load()
	if total != st.Cache.Created {
		t.Errorf("%d records before and %d after the swap, %d flows created",
			oldRecords, fresh.records.Load(), st.Cache.Created)
	}
	if packets := old[0].packets.Load() + fresh.packets.Load(); packets != src.sent.Load() {
		t.Errorf("exported %d packets, sent %d", packets, src.sent.Load())
	}
	if st.FlowPackets != src.sent.Load() || st.FlowBytes != 38*src.sent.Load() {
		t.Errorf("engine counted %d packets and %d bytes in flows, sent %d packets of "+
			"38 IP bytes", st.FlowPackets, st.FlowBytes, src.sent.Load())
	}
	if fresh.closed.Load() != 1 {
		t.Errorf("new exporter closed %d times", fresh.closed.Load())
	}
	if len(st.Exporters) != 3 || st.Exporters[2].Records != fresh.records.Load() ||
		st.Exporters[0].Records != oldRecords {
		t.Errorf("exporter stats %+v", st.Exporters)
	}
}

func TestSwapExportersBeforeAndAfterRun(t *testing.T) {
	frames, _ := traffic(1, 5, 4)
	first, second, late := &recorder{}, &recorder{}, &recorder{}
	e, err := New(&fakeSource{frames: frames}, []flow.Exporter{first}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SwapExporters([]flow.Exporter{second}); err != nil {
		t.Fatal(err)
	}
	if first.closed != 1 {
		t.Errorf("first exporter closed %d times before Run", first.closed)
	}
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(first.records) != 0 || len(second.records) != 5 || second.closed != 1 {
		t.Errorf("first got %d records, second %d (closed %d times)", len(first.records),
			len(second.records), second.closed)
	}
	if err := e.SwapExporters([]flow.Exporter{late}); !errors.Is(err, ErrStopped) {
		t.Errorf("swap after Run: got %v, want ErrStopped", err)
	}
	if late.closed != 0 {
		t.Error("an exporter refused after Run was closed")
	}
}

func TestSetTimeouts(t *testing.T) { bothModes(t, setTimeouts) }

// setTimeouts shortens the inactive timeout while a flow is open and checks that
// the flow's next packet moves its deadline to the new timeout.
func setTimeouts(t *testing.T, pipeline bool) {
	rec := &lockedRecorder{}
	var e *Engine
	frame := udpFrame(1, 2, 1000, 53, 10)
	sec := int64(time.Second)
	src := &scriptSource{script: func(h capture.Handler) {
		send := func(ts int64) {
			h.HandleFrame(&capture.Frame{Data: frame, Timestamp: ts, WireLen: len(frame),
				LinkType: capture.LinkEthernet})
		}
		send(t0)
		h.Tick(t0 + sec)
		if err := e.SetTimeouts(300*time.Second, 2*time.Second, time.Second); err != nil {
			t.Error(err)
		}
		h.Tick(t0 + 3*sec/2)
		send(t0 + 3*sec/2)
		h.Tick(t0 + 5*sec)
	}}
	var err error
	e, err = New(src, []flow.Exporter{rec}, Config{Pipeline: pipeline})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec.records) != 1 || rec.records[0].EndReason != flow.EndIdle ||
		rec.records[0].Packets != 2 {
		t.Errorf("got %+v, want one flow of 2 packets ended idle", rec.records)
	}
	if err := e.SetTimeouts(-time.Second, 0, 0); err == nil {
		t.Error("a negative active timeout was accepted")
	}
}

// lockedRecorder keeps records under a lock, for tests that read them after Run.
type lockedRecorder struct {
	mu      sync.Mutex
	records []flow.Record
}

func (r *lockedRecorder) Export(recs []flow.Record) error {
	r.mu.Lock()
	r.records = append(r.records, recs...)
	r.mu.Unlock()
	return nil
}
func (r *lockedRecorder) Flush() error { return nil }
func (r *lockedRecorder) Close() error { return nil }

// scriptSource runs script with the one handler, then ends like a trace file.
type scriptSource struct{ script func(h capture.Handler) }

func (s *scriptSource) Workers() int { return 1 }
func (s *scriptSource) Close() error { return nil }
func (s *scriptSource) Run(_ context.Context, handlers []capture.Handler) error {
	s.script(handlers[0])
	return nil
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20s")
		}
		time.Sleep(time.Millisecond)
	}
}
