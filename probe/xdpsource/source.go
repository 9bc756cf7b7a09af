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
	"github.com/flowprobe/flowprobe/probe/afxdp"
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
	// socks takes the frames the program redirects; nil when it redirects none.
	socks *afxdp.Source
	// attached is a time before the program was attached: no packet it counted is
	// older.
	attached time.Time

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
	// Sockets holds the counters of the AF_XDP sockets that take redirected frames
	// (Options.Program.RedirectFirst). Frames the program redirected
	// (Program[xdpflow.CounterRedirected]) were either received (Sockets.Received)
	// or dropped by the kernel for want of room (Sockets.Undelivered).
	Sockets afxdp.Stats
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
	s := &Source{opts: opts, objs: objs, ring: ring}
	if err := s.openSockets(); err != nil {
		ring.Close()
		objs.Close()
		return nil, fmt.Errorf("xdp source on %s: %w", opts.Interface, err)
	}
	s.attached = time.Now()
	s.link, err = attach.XDP(opts.Interface, objs.Program, opts.Attach)
	if err != nil {
		if s.socks != nil {
			s.socks.Close()
		}
		ring.Close()
		objs.Close()
		return nil, fmt.Errorf("xdp source: %w", err)
	}
	return s, nil
}

// Workers reports 1: one goroutine reads the tables and the ring buffer. With
// Program.RedirectFirst the socket workers feed the same handler, so that both parts
// of a flow meet in one flow cache (see Run).
func (s *Source) Workers() int { return 1 }

// IfIndex reports the index of the interface the program is attached to.
func (s *Source) IfIndex() uint32 { return uint32(s.link.IfIndex()) }

// Mode reports whether the program runs in native or generic mode.
func (s *Source) Mode() attach.Mode { return s.link.Mode() }

// Run merges partial flows and ring buffer frames into handlers[0], which must be a
// Merger, and ticks it at least once a second with the time of the latest drain (see
// TicksCompleteTime), until ctx is cancelled. It then detaches
// the program, reads the tables and the ring buffer a last time and returns nil. When
// the interface is removed, or the AF_XDP sockets fail, it hands over what was
// counted the same way and returns an error. A Source runs once.
//
// With Program.RedirectFirst, one worker per AF_XDP socket hands the redirected frames
// to handlers[0] as well. Calls to it then come from several goroutines, one at a
// time under a lock. At the end the sockets' RX rings are emptied after the program
// is detached, so every redirected frame that a socket received reaches the handler.
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

	h := handlers[0]
	var frames frameHandler
	if s.socks != nil {
		frames.s = &serialHandler{h: h, m: m}
		h, m = frames.s, frames.s
	}
	d, err := newDrainer(s.objs, m, uint32(s.link.IfIndex()))
	if err != nil {
		return fmt.Errorf("xdp source on %s: %w", s.opts.Interface, err)
	}
	if err := s.runAll(ctx, d, h, frames); err != nil {
		return fmt.Errorf("xdp source on %s: %w", s.opts.Interface, err)
	}
	return nil
}

// runAll runs the drain loop and, when frames are redirected, the socket workers,
// which feed frames. The sockets stop only after the loop has detached the program,
// and their rings are emptied then.
func (s *Source) runAll(ctx context.Context, d *drainer, h capture.Handler,
	frames frameHandler) error {
	if s.socks == nil {
		return s.loop(ctx, d, h)
	}
	// The sockets outlive the loop, so that they take the frames redirected until the
	// loop detaches the program; a socket failure ends the loop, and so the run.
	sockCtx, stopSockets := context.WithCancel(context.Background())
	defer stopSockets()
	loopCtx, stopLoop := context.WithCancel(ctx)
	defer stopLoop()
	wait := s.runSockets(sockCtx, frames, stopLoop)
	loopErr := s.loop(loopCtx, d, h)
	stopSockets()
	sockErr := wait()
	if loopErr != nil || sockErr != nil {
		return errors.Join(loopErr, sockErr)
	}
	if err := s.drainSockets(frames); err != nil {
		return err
	}
	h.Tick(time.Now().UnixNano())
	return s.updateStats(d)
}

// loop merges ring buffer records as they come and drains the tables every
// DrainInterval. It ticks the handler with the time of the latest drain, up to which
// every packet has been handed over, after that drain and every tickInterval between
// drains, so that finished flows leave and counters are published. A drain that finds
// the wall clock set back first ticks the previous drain's time on the new clock.
func (s *Source) loop(ctx context.Context, d *drainer, h capture.Handler) error {
	var rec ringbuf.Record
	next := time.Now().Add(s.opts.DrainInterval)
	nextTick := time.Now().Add(tickInterval)
	// complete is a Unix time before which every packet has been handed over.
	complete := s.attached.UnixNano()
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
			if time.Now().Before(next) {
				continue
			}
			// A ring that never runs dry must not hold off the drains and ticks.
		case !errors.Is(err, os.ErrDeadlineExceeded):
			return fmt.Errorf("read ring buffer: %w", err)
		}
		now := time.Now()
		drained := false
		if !now.Before(next) {
			// Read on the kernel's clock before the swap, this instant becomes the next
			// complete time on the wall clock as the drain reads it, even when the
			// wall clock is stepped in between.
			mono, err := monotonicNow()
			if err != nil {
				return err
			}
			// The instant of the last complete time, on the stepped clock.
			stepped := func(step int64) { h.Tick(complete + step) }
			if err := d.drainTables(stepped); err != nil {
				return err
			}
			if _, err := s.drainRing(d, ringBatch); err != nil {
				return err
			}
			complete = mono + d.offset
			if err := s.updateStats(d); err != nil {
				return err
			}
			next = now.Add(s.opts.DrainInterval)
			drained = true
			if gone, err := s.interfaceGone(); gone || err != nil {
				// Hand over what was counted before reporting the end.
				return errors.Join(err, s.shutdown(d, h))
			}
		}
		if drained || !now.Before(nextTick) {
			h.Tick(complete)
			nextTick = now.Add(tickInterval)
		}
	}
	return s.shutdown(d, h)
}

// TicksCompleteTime marks the Source as an engine.LateSource: the partial flows of a
// drain reach the handler up to DrainInterval after their packets, and a Tick time
// is one up to which every packet has been handed over.
func (s *Source) TicksCompleteTime() {}

// ringBatch bounds the ring buffer records drainRing reads while the program runs,
// so that a flood of them cannot stall the loop.
const ringBatch = 1 << 16

// drainRing merges the records waiting in the ring buffer, at most limit of them, and
// reports whether it found the ring empty.
func (s *Source) drainRing(d *drainer, limit int) (bool, error) {
	var rec ringbuf.Record
	for range limit {
		s.ring.SetDeadline(time.Now())
		err := s.ring.ReadInto(&rec)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("read ring buffer: %w", err)
		}
		if err := d.mergeEvent(rec.RawSample); err != nil {
			return false, err
		}
	}
	return false, nil
}

// interfaceGone reports, as an error, that the interface was removed: that detaches
// the program without a word, and the tables would stay empty for ever.
func (s *Source) interfaceGone() (bool, error) {
	ok, err := s.link.Attached()
	if err != nil {
		return false, err
	}
	if !ok {
		return true, fmt.Errorf("interface was removed")
	}
	return false, nil
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
		if err := d.drainTables(nil); err != nil {
			return err
		}
	}
	// The program is detached: the ring only empties now.
	for empty := false; !empty; {
		var err error
		if empty, err = s.drainRing(d, ringBatch); err != nil {
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
	var socks afxdp.Stats
	if s.socks != nil {
		if socks, err = s.socks.Stats(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.stats = d.stats
	s.stats.Program = cnt
	s.stats.Sockets = socks
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
	var socks error
	if s.socks != nil {
		socks = s.socks.Close()
	}
	// The program goes first, so no frame is redirected to a socket being closed.
	return errors.Join(s.link.Close(), socks, s.ring.Close(), s.objs.Close())
}
