package engine

import (
	"sync"
	"sync/atomic"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/flowcache"
	"github.com/flowprobe/flowprobe/probe/packet"
)

// workerBatch is how many parsed packets a worker without a pipeline collects before
// it accounts them with one flowcache.Cache.UpdateBatch call, which overlaps the
// cache misses of the packets; it should be several times the cache's prefetch
// distance of 16 packets.
const workerBatch = 64

// worker is the capture.Handler of one capture goroutine. Without a pipeline it
// parses each frame in the capture goroutine and accounts the packets workerBatch at
// a time, and at every tick, merge and the end of the run; with one, the capture
// goroutine parses and a goroutine of the pipeline runs the cache.
type worker struct {
	parser *packet.Parser
	cache  *flowcache.Cache
	// pending holds the parsed packets not yet accounted, without a pipeline.
	pending []flow.Packet
	fan     *fanout
	cur     *batch // the batch the cache is filling
	pipe    *pipeline
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
	if w.pending == nil {
		w.pending = make([]flow.Packet, 0, workerBatch)
	}
	n := len(w.pending)
	w.pending = w.pending[:n+1]
	if w.parser.Parse(f, &w.pending[n]) != packet.OK {
		w.pending = w.pending[:n]
		return
	}
	if n+1 == workerBatch {
		w.accountPending()
	}
}

// accountPending hands the pending packets to the cache.
func (w *worker) accountPending() {
	w.cache.UpdateBatch(w.pending)
	w.pending = w.pending[:0]
}

// drain accounts every packet the worker holds, stopping its pipeline if it has
// one; the cache is the caller's afterwards.
func (w *worker) drain() {
	if w.pipe != nil {
		w.pipe.stop()
		return
	}
	w.accountPending()
}

// Tick moves the cache's clock, hands over finished records and publishes counters.
func (w *worker) Tick(now int64) {
	w.snapshotParser()
	if w.pipe != nil {
		w.pipe.tick(now)
		return
	}
	w.accountPending()
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
	w.accountPending()
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
