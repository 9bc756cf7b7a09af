package engine

import (
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/flowcache"
	"github.com/flowprobe/flowprobe/probe/packet"
)

// DefaultQueueBatches is the default length of an exporter's queue, in batches.
const DefaultQueueBatches = 64

// Config sets up an Engine.
type Config struct {
	// Cache configures the flow caches. Capacity is the total over all workers:
	// each worker's cache gets an equal share.
	Cache flowcache.Config
	// Parser configures the packet parsers, one per worker.
	Parser packet.Options
	// QueueBatches is the length of each exporter's queue, in batches of
	// Cache.BatchSize records; 0 means DefaultQueueBatches.
	QueueBatches int
	// Pipeline runs each worker's flow cache in a goroutine of its own, fed with
	// parsed packets in batches, so that capture and parsing overlap with flow
	// accounting on another CPU. It pays when the source has fewer workers than
	// there are CPUs, as a trace file (one worker) has.
	Pipeline bool
	// DropAfter is how long a worker waits for room in a full exporter queue before
	// that exporter loses the batch. 0 means wait for ever: no record is lost, which
	// is right for trace files.
	DropAfter time.Duration
	// ExportError, when set, is called with every error an exporter returns, from
	// that exporter's goroutine; i is the exporter's index in New's list.
	ExportError func(i int, err error)
	// LostRecords, when set, reads how many records an exporter's error says were
	// lost (an exporter may lose records it buffered from earlier calls, or at Flush
	// and Close). Without it, or when it returns false, an Export error counts its
	// whole batch as lost and a Flush or Close error counts none.
	LostRecords func(err error) (n int, ok bool)
}

// LateSource is implemented by a source whose packets and partial flows reach its
// handlers later than their packet times, out of time order, and whose Tick times say
// up to when it has handed everything over. The XDP source is one: it drains partial
// flows from the kernel a drain interval after their packets. The engine runs the flow
// caches of such a source on its Tick times alone (flowcache.Config.ExternalClock).
type LateSource interface {
	TicksCompleteTime()
}

// Merger is implemented by every capture.Handler the engine hands to a source. A
// source that aggregates in the kernel (the XDP fast path) feeds its partial flows to
// the handler of the worker that reads them with Merge; see flowcache.Cache.Merge.
type Merger interface {
	Merge(agg *flow.Record)
}
