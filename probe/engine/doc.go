// Package engine runs a capture source through parsers and flow caches to exporters.
//
// Each capture worker gets its own handler holding a packet.Parser and a
// flowcache.Cache, so the per-packet path takes no lock. With Config.Pipeline the
// cache runs in a goroutine of its own and the capture goroutine hands it parsed
// packets 1024 at a time, in order, ticks included. Finished records leave the
// caches in batches; every batch goes to every exporter, and each exporter runs in its
// own goroutine behind a bounded queue, so exporters need no locking and a slow one
// does not hold up the others.
//
// A full exporter queue makes the worker wait (backpressure). For trace files that is
// what keeps every flow: reading slows down to the exporters' pace. A live source
// cannot wait without losing packets in the kernel, so Config.DropAfter bounds the
// wait: once an exporter has kept a worker waiting that long, that exporter loses the
// batch, and every later batch that finds its queue full, until it catches up with an
// empty queue. Each lost record is counted in ExporterStats.Dropped; nothing is lost
// silently.
//
// When the context is cancelled (SIGINT or SIGTERM in the flowprobe command), or the
// trace ends, Run flushes every cache (flows still open leave with EndForced), lets
// each exporter drain its queue, flushes and closes it, and only then returns. An
// exporter that hangs would hold Run for ever; Abandon (a second signal) gives up on
// such a one and counts what it still held as lost.
//
// A running engine can be reconfigured without losing a flow (flowprobe's SIGHUP):
// SwapExporters replaces the exporters between two batches, and SetTimeouts hands
// every cache new timeouts at its next tick.
package engine
