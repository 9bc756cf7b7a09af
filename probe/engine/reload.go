package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/flowcache"
)

// ErrStopped is returned by SwapExporters once Run has begun to shut down.
var ErrStopped = errors.New("engine: stopped")

// timeouts waits in a worker for its cache goroutine to take it.
type timeouts struct{ active, inactive, finWait time.Duration }

// SwapExporters replaces the exporters between two batches: every batch published
// after the swap goes to the new exporters only, and no flow in the caches is lost or
// ended by it. The old exporters get what their queues still hold, are flushed and
// closed; SwapExporters waits for that and returns their close errors. It may be
// called before or during Run, from any goroutine.
//
// The new exporters belong to the engine from then on, even when an error is
// returned for the old ones. Once Run is stopping it returns ErrStopped and the new
// exporters stay the caller's. Stats lists the new exporters after every earlier
// one; their index there is the one Config.ExportError receives.
func (e *Engine) SwapExporters(exporters []flow.Exporter) error {
	f := e.fan
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		return ErrStopped
	}
	old := f.outputs
	f.outputs = f.add(exporters)
	if f.started {
		for _, o := range f.outputs {
			f.launch(o)
		}
	} else {
		// Not running yet: the old outputs need a goroutine only to close.
		for _, o := range old {
			f.launch(o)
		}
	}
	f.mu.Unlock()

	errs := make([]error, len(old))
	for i, o := range old {
		close(o.queue)
		<-o.done
		errs[i] = o.closeErr
	}
	return errors.Join(errs...)
}

// SetTimeouts gives every worker's cache new timeouts, read as in flowcache.Config
// (0 means the default, a negative FIN wait means 0), from any goroutine. Each cache
// takes them at its next tick, at most a second later on a live source; the flows it
// holds stay and take deadlines from the new timeouts (see
// flowcache.Cache.SetTimeouts). Out-of-range values give an error and change nothing.
func (e *Engine) SetTimeouts(active, inactive, finWait time.Duration) error {
	if err := flowcache.CheckTimeouts(active, inactive, finWait); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	for _, w := range e.workers {
		w.timeouts.Store(&timeouts{active: active, inactive: inactive, finWait: finWait})
	}
	return nil
}
