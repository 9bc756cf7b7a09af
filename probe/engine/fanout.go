package engine

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// batch is a slice of finished records shared, read-only, by every exporter it is
// sent to; the last one to finish with it puts it back on the free list.
type batch struct {
	records []flow.Record
	refs    atomic.Int32
}

// output is one exporter with its queue and goroutine.
type output struct {
	exp   flow.Exporter
	index int // in fanout.all, the index given to Config.ExportError
	queue chan *batch
	done  chan struct{} // closed once the exporter is closed
	// closeErr is the exporter's Close error, readable once done is closed.
	closeErr error
	// stalled is set when the exporter made a worker wait DropAfter and cleared when
	// its queue runs empty; while it is set, a full queue drops at once.
	stalled atomic.Bool

	records, failed, dropped, errors atomic.Uint64
	inflight                         atomic.Uint64 // records in the Export call under way
	unflushed                        atomic.Uint64 // records taken since the last flush
	busySince                        atomic.Int64  // start of the exporter call under way
}

// fanout hands every batch to every output.
type fanout struct {
	// mu is held for reading while a batch is handed to the outputs and for writing
	// while they are swapped, so a batch goes wholly to the old or the new outputs.
	mu       sync.RWMutex
	outputs  []*output // the outputs batches go to now
	all      []*output // every output ever, retired ones too, in order
	started  bool
	stopped  bool
	queueLen int

	// free is sized for the first set of outputs. After a swap to more outputs, a
	// worker may allocate a batch now and then where the free list has no room to
	// keep one.
	free      chan *batch
	batchSize int
	dropAfter time.Duration
	onError   func(int, error)
	lost      func(error) (int, bool)
	// abandon is closed by Engine.Abandon: senders stop waiting for full queues and
	// stop gives up on outputs that do not finish.
	abandon     chan struct{}
	abandonOnce sync.Once
	flows       [flow.EndLackOfResource + 1]atomic.Uint64
	packets     atomic.Uint64 // packets, both directions, in the records published
	bytes       atomic.Uint64 // IP bytes, both directions, in the records published
}

func newFanout(exporters []flow.Exporter, cfg *Config, batchSize, workers int) *fanout {
	queue := cfg.QueueBatches
	if queue <= 0 {
		queue = DefaultQueueBatches
	}
	f := &fanout{
		// Enough free batches for every queue slot and every worker's current batch,
		// so that after warm-up no batch is ever allocated.
		free:      make(chan *batch, queue*len(exporters)+2*workers),
		batchSize: batchSize,
		dropAfter: cfg.DropAfter,
		onError:   cfg.ExportError,
		lost:      cfg.LostRecords,
		queueLen:  queue,
		abandon:   make(chan struct{}),
	}
	f.outputs = f.add(exporters)
	return f
}

// add makes outputs for exporters and appends them to f.all; the caller holds f.mu
// for writing or owns f alone.
func (f *fanout) add(exporters []flow.Exporter) []*output {
	outs := make([]*output, 0, len(exporters))
	for _, e := range exporters {
		o := &output{exp: e, index: len(f.all), queue: make(chan *batch, f.queueLen),
			done: make(chan struct{})}
		f.all = append(f.all, o)
		outs = append(outs, o)
	}
	return outs
}

// get returns an empty batch.
func (f *fanout) get() *batch {
	select {
	case b := <-f.free:
		return b
	default:
		return &batch{records: make([]flow.Record, 0, f.batchSize)}
	}
}

// release drops one reference to b and recycles it after the last.
func (f *fanout) release(b *batch) {
	if b.refs.Add(-1) > 0 {
		return
	}
	b.records = b.records[:0]
	select {
	case f.free <- b:
	default:
	}
}

// publish sends b to every output; the caller gives up b.
func (f *fanout) publish(b *batch) {
	var ended [flow.EndLackOfResource + 1]uint64
	var packets, bytes uint64
	for i := range b.records {
		r := &b.records[i]
		if int(r.EndReason) < len(ended) {
			ended[r.EndReason]++
		}
		packets += r.Packets + r.PacketsRev
		bytes += r.Bytes + r.BytesRev
	}
	f.packets.Add(packets)
	f.bytes.Add(bytes)
	for r, n := range ended {
		if n > 0 {
			f.flows[r].Add(n)
		}
	}

	f.mu.RLock()
	b.refs.Store(int32(len(f.outputs)) + 1)
	for _, o := range f.outputs {
		f.send(o, b)
	}
	f.mu.RUnlock()
	f.release(b)
}

// send queues b for o, waiting as the drop policy allows.
func (f *fanout) send(o *output, b *batch) {
	select {
	case o.queue <- b:
		return
	default:
	}
	if f.dropAfter <= 0 {
		select {
		case o.queue <- b:
			return
		case <-f.abandon:
			if f.sendUnlessStuck(o, b) {
				return
			}
		}
	} else if !o.stalled.Load() {
		timer := time.NewTimer(f.dropAfter)
		defer timer.Stop()
		select {
		case o.queue <- b:
			return
		case <-timer.C:
			o.stalled.Store(true)
		case <-f.abandon:
			if f.sendUnlessStuck(o, b) {
				return
			}
		}
	}
	o.dropped.Add(uint64(len(b.records)))
	f.release(b)
}

// sendUnlessStuck queues b for o after Abandon, waiting as long as o is busy but not
// stuck, and reports whether it did.
func (f *fanout) sendUnlessStuck(o *output, b *batch) bool {
	tick := time.NewTicker(abandonPoll)
	defer tick.Stop()
	for {
		select {
		case o.queue <- b:
			return true
		case <-tick.C:
			if o.stuck() {
				return false
			}
		}
	}
}

// start runs one goroutine per output.
func (f *fanout) start() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = true
	for _, o := range f.outputs {
		f.launch(o)
	}
}

// launch runs o's goroutine.
func (f *fanout) launch(o *output) {
	go func() {
		defer close(o.done)
		o.closeErr = f.drain(o.index, o)
	}()
}

// drain exports o's batches until its queue is closed, flushing whenever it runs
// empty, then closes the exporter.
//
// A Flush or Close error that does not say how many records it lost (see
// Config.LostRecords) counts every record taken since the previous flush as lost:
// those are the records the flush was to push out. That may count records an
// exporter had already written, but never hides a loss.
func (f *fanout) drain(i int, o *output) error {
	for b := range o.queue {
		n := uint64(len(b.records))
		o.inflight.Store(n)
		o.busy()
		err := o.exp.Export(b.records)
		o.idle()
		o.records.Add(n)
		o.inflight.Store(0)
		if err != nil {
			lost := min(f.fail(i, o, err, n), o.records.Load())
			f.lose(o, lost)
			n -= min(n, lost)
		}
		o.unflushed.Add(n)
		f.release(b)
		if len(o.queue) == 0 {
			o.stalled.Store(false)
			o.busy()
			err := o.exp.Flush()
			o.idle()
			if err != nil {
				f.lose(o, f.fail(i, o, err, o.unflushed.Load()))
			}
			o.unflushed.Store(0)
		}
	}
	o.busy()
	err := o.exp.Close()
	o.idle()
	if err != nil {
		f.lose(o, f.fail(i, o, err, o.unflushed.Load()))
		return fmt.Errorf("close exporter %d: %w", i, err)
	}
	return nil
}

// fail counts and reports an exporter error and returns how many records it lost:
// what the error says, or otherwise.
func (f *fanout) fail(i int, o *output, err error, otherwise uint64) uint64 {
	o.errors.Add(1)
	if f.onError != nil {
		f.onError(i, err)
	}
	if f.lost != nil {
		if n, ok := f.lost(err); ok {
			return uint64(max(n, 0))
		}
	}
	return otherwise
}

// lose moves n records that o had taken to its failed count.
func (f *fanout) lose(o *output, n uint64) {
	if n == 0 {
		return
	}
	o.failed.Add(n)
	o.records.Add(^(n - 1)) // subtracts n
}

// stop closes the queues, waits for every output to drain and close, and returns
// the close errors of the outputs in use; those retired earlier were returned by swap.
func (f *fanout) stop() error {
	f.mu.Lock()
	f.stopped = true
	outs := f.outputs
	f.mu.Unlock()
	for _, o := range outs {
		close(o.queue)
	}
	errs := make([]error, len(outs))
	for i, o := range outs {
		if !f.await(o) {
			errs[i] = fmt.Errorf("exporter %d: %w", o.index, ErrAbandoned)
			continue
		}
		errs[i] = o.closeErr
	}
	return errors.Join(errs...)
}

// An output is stuck once one Export, Flush or Close call has taken abandonGrace;
// after Abandon, that is checked every abandonPoll.
const (
	abandonGrace = time.Second
	abandonPoll  = 50 * time.Millisecond
)

// busy and idle bracket a call into the exporter.
func (o *output) busy() { o.busySince.Store(time.Now().UnixNano()) }
func (o *output) idle() { o.busySince.Store(0) }

// stuck reports whether the exporter's current call has taken abandonGrace.
func (o *output) stuck() bool {
	t := o.busySince.Load()
	return t != 0 && time.Since(time.Unix(0, t)) > abandonGrace
}

// await waits for o to finish, and after Abandon only while it is not stuck; it
// reports whether o finished. An output given up on has its queued and in-flight
// records counted as dropped, and those it took since its last flush as failed; its
// goroutine stays blocked where it is. An output stuck in Close had every record
// flushed, so nothing is counted for it although some may never have left: the
// ErrAbandoned that stop returns is the only sign of that loss.
func (f *fanout) await(o *output) bool {
	select {
	case <-o.done:
		return true
	case <-f.abandon:
	}
	tick := time.NewTicker(abandonPoll)
	defer tick.Stop()
	for !o.stuck() {
		select {
		case <-o.done:
			return true
		case <-tick.C:
		}
	}
	lost := o.inflight.Load()
	for b := range o.queue { // closed by stop; taking a batch here means it never goes out
		lost += uint64(len(b.records))
		f.release(b)
	}
	o.dropped.Add(lost)
	// The records taken since the last flush may still sit in the exporter's buffer.
	f.lose(o, o.unflushed.Load())
	return false
}
