package xdpsource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cilium/ebpf/ringbuf"

	"github.com/flowprobe/flowprobe/bpf/attach"
	"github.com/flowprobe/flowprobe/bpf/xdpflow"
	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// Merger takes partial flows; the engine's capture handlers implement it
// (engine.Merger).
type Merger interface {
	Merge(agg *flow.Record)
}

// pollInterval bounds how long Run waits on an empty ring buffer before it looks at
// its context again.
const pollInterval = 100 * time.Millisecond

// Source is the XDP capture source. It has one worker, whose handler must also be a
// Merger.
type Source struct {
	opts Options
	objs *xdpflow.Objects
	link *attach.Link
	ring *ringbuf.Reader

	mu      sync.Mutex
	stats   Stats
	stopped bool // Run has detached the program; it cannot run again
	closed  bool
}

// Stats counts what the source handed to the engine, next to the program's counters.
type Stats struct {
	// Program holds the XDP program's counters, summed over CPUs.
	Program xdpflow.Counters
	// Drains is the number of table swaps read so far.
	Drains uint64
	// Partials is the number of partial flows (one flow on one CPU in one interval)
	// merged from the tables, and Packets the packets they held.
	Partials, Packets uint64
	// RingPackets is the number of frames merged from the ring buffer.
	RingPackets uint64
}

// New loads the XDP program and attaches it to opts.Interface. The program counts
// from then on; Run hands the counts to the engine.
func New(opts Options) (*Source, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("xdp source: %w", err)
	}
	objs, err := xdpflow.Load(opts.Program)
	if err != nil {
		return nil, fmt.Errorf("xdp source on %s: %w", opts.Interface, err)
	}
	ring, err := ringbuf.NewReader(objs.Ring)
	if err != nil {
		objs.Close()
		return nil, fmt.Errorf("xdp source on %s: open ring buffer: %w", opts.Interface, err)
	}
	link, err := attach.XDP(opts.Interface, objs.Program, opts.Attach)
	if err != nil {
		ring.Close()
		objs.Close()
		return nil, fmt.Errorf("xdp source: %w", err)
	}
	return &Source{opts: opts, objs: objs, link: link, ring: ring}, nil
}

// Workers reports 1: one goroutine reads the tables and the ring buffer.
func (s *Source) Workers() int { return 1 }

// IfIndex reports the index of the interface the program is attached to.
func (s *Source) IfIndex() uint32 { return uint32(s.link.IfIndex()) }

// Mode reports whether the program runs in native or generic mode.
func (s *Source) Mode() attach.Mode { return s.link.Mode() }

// Run merges partial flows and ring buffer frames into handlers[0], which must be a
// Merger, and ticks it at least once a second, until ctx is cancelled. It then detaches
// the program, reads the tables and the ring buffer a last time and returns nil. A
// Source runs once.
func (s *Source) Run(ctx context.Context, handlers []capture.Handler) error {
	if len(handlers) != 1 {
		return fmt.Errorf("xdp source on %s: need 1 handler, got %d", s.opts.Interface,
			len(handlers))
	}
	m, ok := handlers[0].(Merger)
	if !ok {
		return fmt.Errorf("xdp source on %s: handler %T cannot merge partial flows",
			s.opts.Interface, handlers[0])
	}
	s.mu.Lock()
	if s.stopped || s.closed {
		s.mu.Unlock()
		return fmt.Errorf("xdp source on %s: already stopped", s.opts.Interface)
	}
	s.stopped = true
	s.mu.Unlock()

	d, err := newDrainer(s.objs, m, uint32(s.link.IfIndex()))
	if err != nil {
		return fmt.Errorf("xdp source on %s: %w", s.opts.Interface, err)
	}
	if err := s.loop(ctx, d, handlers[0]); err != nil {
		return fmt.Errorf("xdp source on %s: %w", s.opts.Interface, err)
	}
	return nil
}

func (s *Source) loop(ctx context.Context, d *drainer, h capture.Handler) error {
	var rec ringbuf.Record
	next := time.Now().Add(s.opts.DrainInterval)
	nextTick := time.Now().Add(tickInterval)
	for ctx.Err() == nil {
		deadline := time.Now().Add(pollInterval)
		if next.Before(deadline) {
			deadline = next
		}
		s.ring.SetDeadline(deadline)
		err := s.ring.ReadInto(&rec)
		switch {
		case err == nil:
			if err := d.mergeEvent(rec.RawSample); err != nil {
				return err
			}
			continue
		case !errors.Is(err, os.ErrDeadlineExceeded):
			return fmt.Errorf("read ring buffer: %w", err)
		}
		now := time.Now()
		drained := false
		if !now.Before(next) {
			if err := d.drainTables(); err != nil {
				return err
			}
			if err := s.updateStats(d); err != nil {
				return err
			}
			next = now.Add(s.opts.DrainInterval)
			drained = true
		}
		if drained || !now.Before(nextTick) {
			h.Tick(time.Now().UnixNano())
			nextTick = now.Add(tickInterval)
		}
	}
	return s.shutdown(d, h)
}

// shutdown detaches the program, then drains both sets of tables and the ring buffer.
// A program run that began before the detach may still be going and may even write
// to the set the first swap installs; the first swap's grace period waits for it, so
// after the second swap no table changes any more.
func (s *Source) shutdown(d *drainer, h capture.Handler) error {
	if err := s.link.Close(); err != nil {
		return err
	}
	for range 2 {
		if err := d.drainTables(); err != nil {
			return err
		}
	}
	var rec ringbuf.Record
	for {
		s.ring.SetDeadline(time.Now())
		err := s.ring.ReadInto(&rec)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			return fmt.Errorf("read ring buffer: %w", err)
		}
		if err := d.mergeEvent(rec.RawSample); err != nil {
			return err
		}
	}
	h.Tick(time.Now().UnixNano())
	return s.updateStats(d)
}

func (s *Source) updateStats(d *drainer) error {
	cnt, err := s.objs.Counters()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.stats = d.stats
	s.stats.Program = cnt
	s.mu.Unlock()
	return nil
}

// Stats returns the counters as of the last drain; safe to call while Run is going.
func (s *Source) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Close detaches the program and releases it. Cancel Run's context and let it return
// first: Close during Run stops it without the last drain. Safe to call twice.
func (s *Source) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	return errors.Join(s.link.Close(), s.ring.Close(), s.objs.Close())
}
