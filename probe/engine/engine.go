package engine

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/flowcache"
	"github.com/flowprobe/flowprobe/probe/packet"
)

// Engine wires a capture source to its exporters. Run it once.
type Engine struct {
	src     capture.Source
	workers []*worker
	fan     *fanout
	ran     atomic.Bool
	// cacheCfg is the caches' configuration as New made it.
	cacheCfg flowcache.Config
}

// New builds the parsers and caches for every worker of src (allocating all cache
// memory now) and the queues of the exporters. The exporters belong to the engine
// from here on: Run closes them.
func New(src capture.Source, exporters []flow.Exporter, cfg Config) (*Engine, error) {
	n := src.Workers()
	if n < 1 {
		return nil, fmt.Errorf("engine: source reports %d workers", n)
	}
	cacheCfg := cfg.Cache
	if cacheCfg.Capacity == 0 {
		cacheCfg.Capacity = flowcache.DefaultCapacity
	}
	cacheCfg.Capacity = max(cacheCfg.Capacity/n, flowcache.Ways)
	if cacheCfg.BatchSize == 0 {
		cacheCfg.BatchSize = flowcache.DefaultBatchSize
	}
	if _, late := src.(LateSource); late {
		cacheCfg.ExternalClock = true
	}

	e := &Engine{src: src,
		fan: newFanout(exporters, &cfg, cacheCfg.BatchSize, n)}
	for range n {
		w := &worker{parser: packet.NewParser(cfg.Parser), fan: e.fan}
		w.cur = e.fan.get()
		c, err := flowcache.New(cacheCfg, w.sink)
		if err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
		w.cache = c
		if cfg.Pipeline {
			w.pipe = newPipeline(w)
		}
		e.workers = append(e.workers, w)
	}
	e.cacheCfg = e.workers[0].cache.Config()
	return e, nil
}

// CacheConfig returns the configuration each worker's cache started with, defaults
// filled in; SetTimeouts does not change it.
func (e *Engine) CacheConfig() flowcache.Config { return e.cacheCfg }

// Run captures until ctx is cancelled or the source ends, then flushes every cache,
// drains, flushes and closes every exporter, and returns. It returns the source's
// error, as a *CaptureError, joined with the exporters' close errors; nil when all
// went well. Export errors along the way are counted (and given to
// Config.ExportError), not returned.
func (e *Engine) Run(ctx context.Context) error {
	if e.ran.Swap(true) {
		return errors.New("engine: Run called twice")
	}
	e.fan.start()

	handlers := make([]capture.Handler, len(e.workers))
	for i, w := range e.workers {
		handlers[i] = w
	}
	for _, w := range e.workers {
		if w.pipe != nil {
			go w.pipe.run()
		}
	}
	runErr := e.src.Run(ctx, handlers)
	if runErr != nil {
		runErr = &CaptureError{Err: runErr}
	}

	// The source's workers have stopped, so their caches are ours to flush.
	for _, w := range e.workers {
		w.drain()
		w.cache.Flush()
		w.snapshotParser()
		w.snapshotCache()
		w.fan.release(w.cur)
		w.cur = nil
	}
	return errors.Join(runErr, e.fan.stop())
}

// Stats returns the counters; it is safe to call while Run is going.
func (e *Engine) Stats() Stats {
	var s Stats
	for _, w := range e.workers {
		if w.pipe != nil {
			s.PipelineQueued += len(w.pipe.queue)
		}
		w.mu.Lock()
		addParserStats(&s.Parser, &w.parserSn)
		addCacheStats(&s.Cache, &w.cacheSn)
		w.mu.Unlock()
	}
	for i := range s.Flows {
		s.Flows[i] = e.fan.flows[i].Load()
	}
	s.FlowPackets, s.FlowBytes = e.fan.packets.Load(), e.fan.bytes.Load()
	e.fan.mu.RLock()
	defer e.fan.mu.RUnlock()
	for _, o := range e.fan.all {
		s.Exporters = append(s.Exporters, ExporterStats{
			Records: o.records.Load(),
			Failed:  o.failed.Load(),
			Dropped: o.dropped.Load(),
			Errors:  o.errors.Load(),
			Queued:  len(o.queue),
		})
	}
	return s
}

// CaptureError is the error that stopped the capture source. Records of the frames
// captured before it were still exported.
type CaptureError struct{ Err error }

func (e *CaptureError) Error() string { return "capture: " + e.Err.Error() }

// Unwrap returns the source's error.
func (e *CaptureError) Unwrap() error { return e.Err }

// ErrAbandoned is the close error of an output that Abandon gave up on.
var ErrAbandoned = errors.New("output abandoned while it was stuck")

// Abandon makes a Run that is stopping give up on stuck outputs: those whose
// current Export, Flush or Close call has taken more than a second. A worker stops
// waiting for a stuck output's full queue, Run stops waiting for it to close, its
// queued and in-flight records are counted as dropped, and ErrAbandoned is returned
// for it. The other outputs are still flushed and closed with every record. It is
// meant for a second interrupt, and may be called from any goroutine, more than
// once.
func (e *Engine) Abandon() {
	e.fan.abandonOnce.Do(func() { close(e.fan.abandon) })
}
