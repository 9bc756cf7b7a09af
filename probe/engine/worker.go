package engine

import (
	"sync"
	"sync/atomic"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/flowcache"
	"github.com/flowprobe/flowprobe/probe/packet"
)

// worker is the capture.Handler of one capture goroutine. Without a pipeline it
// parses and accounts each frame in the capture goroutine; with one, the capture
// goroutine parses and a goroutine of the pipeline runs the cache.
type worker struct {
	parser *packet.Parser
	cache  *flowcache.Cache
	pkt    flow.Packet
	fan    *fanout
	cur    *batch // the batch the cache is filling
	pipe   *pipeline
	// timeouts holds timeouts for the cache to take at its next tick.
	timeouts atomic.Pointer[timeouts]

	mu       sync.Mutex // guards the snapshots, read by Engine.Stats
	parserSn packet.Stats
	cacheSn  flowcache.Stats
}

var (
	_ capture.Handler = (*worker)(nil)
	_ Merger          = (*worker)(nil)
)

// HandleFrame parses f and accounts it to its flow; frames that are not flow packets
// are only counted by the parser.
func (w *worker) HandleFrame(f *capture.Frame) {
	if w.pipe != nil {
		w.pipe.handleFrame(w.parser, f)
		return
	}
	if w.parser.Parse(f, &w.pkt) == packet.OK {
		w.cache.Update(&w.pkt)
	}
}

// Tick moves the cache's clock, hands over finished records and publishes counters.
func (w *worker) Tick(now int64) {
	w.snapshotParser()
	if w.pipe != nil {
		w.pipe.tick(now)
		return
	}
	w.applyTimeouts()
	w.cache.Advance(now)
	w.snapshotCache()
}

// applyTimeouts hands the cache the timeouts SetTimeouts left, if any; it runs in the
// goroutine that owns the cache.
func (w *worker) applyTimeouts() {
	if t := w.timeouts.Swap(nil); t != nil {
		// Engine.SetTimeouts checked them, so the cache accepts them.
		_ = w.cache.SetTimeouts(t.active, t.inactive, t.finWait)
	}
}

// Merge adds a partial flow aggregated elsewhere; see flowcache.Cache.Merge.
func (w *worker) Merge(agg *flow.Record) {
	if w.pipe != nil {
		w.pipe.merge(agg)
		return
	}
	w.cache.Merge(agg)
}

// sink is the cache's flowcache.Sink: it publishes the filled batch and starts
// another.
func (w *worker) sink(records []flow.Record) []flow.Record {
	w.cur.records = records
	w.fan.publish(w.cur)
	w.cur = w.fan.get()
	return w.cur.records[:0]
}

func (w *worker) snapshotParser() {
	p := w.parser.Stats()
	w.mu.Lock()
	w.parserSn = p
	w.mu.Unlock()
}

func (w *worker) snapshotCache() {
	c := w.cache.Stats()
	w.mu.Lock()
	w.cacheSn = c
	w.mu.Unlock()
}
