package afpacket

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/internal/sockwait"
)

// Stats counts what the kernel did with the frames of one source, over all workers.
type Stats struct {
	// Received is the number of frames the kernel put into the rings.
	Received uint64
	// Dropped is the number of frames the kernel dropped because a ring was full.
	Dropped uint64
	// FreezeQueue is the number of times a ring was full when a frame arrived.
	FreezeQueue uint64
}

func (s *Stats) add(o Stats) {
	s.Received += o.Received
	s.Dropped += o.Dropped
	s.FreezeQueue += o.FreezeQueue
}

// Source captures live frames from one interface. It implements capture.Source.
type Source struct {
	opts     Options
	ifindex  int
	linkType capture.LinkType
	rings    []*ring
	// wake is polled by every worker besides its socket; raising it makes them all
	// return.
	wake *sockwait.Signal

	mu      sync.Mutex
	running sync.WaitGroup
	// cancelRun stops the current Run. Workers look at their context after every
	// block, so this stops them even when the rings never run empty, where the
	// wake-up through poll would never be seen.
	cancelRun context.CancelFunc
	closed    bool
	total     Stats // counters of closed rings
}

var _ capture.Source = (*Source)(nil)

// New opens the capture sockets on opts.Interface, in the network namespace of the
// calling thread, and starts the kernel filling their rings; frames are delivered
// once Run is called. It fails with an error naming the interface when the interface
// does not exist, has a link type the parser cannot read, or the filter does not
// compile.
func New(opts Options) (*Source, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("afpacket: %w", err)
	}
	s := &Source{opts: o}
	if err := s.open(); err != nil {
		s.Close()
		return nil, fmt.Errorf("afpacket on %s: %w", o.Interface, err)
	}
	return s, nil
}

func (s *Source) open() error {
	var err error
	if s.wake, err = sockwait.NewSignal(); err != nil {
		return err
	}

	first, err := openRing(s.opts)
	if err != nil {
		return err
	}
	s.rings = append(s.rings, first)
	s.ifindex, s.linkType, err = interfaceInfo(first.fd, s.opts.Interface)
	if err != nil {
		return err
	}

	var prog []unix.SockFilter
	switch {
	case s.opts.Filter != "":
		prog, err = compileFilter(s.opts.Filter, s.linkType, s.opts.Snaplen)
		if err != nil {
			return err
		}
	case s.opts.Snaplen > 0:
		prog = snaplenProgram(s.opts.Snaplen)
	}

	var group uint16
	for w := range s.opts.Workers {
		r := first
		if w > 0 {
			if r, err = openRing(s.opts); err != nil {
				return err
			}
			s.rings = append(s.rings, r)
		}
		// The filter goes on before bind so no unfiltered frame enters the ring.
		if prog != nil {
			if err := attachFilter(r.fd, prog); err != nil {
				return err
			}
		}
		if s.opts.IgnoreOutgoing {
			err := unix.SetsockoptInt(r.fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
			if err != nil {
				return fmt.Errorf("ignore outgoing frames: %w", err)
			}
		}
		if s.opts.Promiscuous && w == 0 {
			mreq := unix.PacketMreq{Ifindex: int32(s.ifindex), Type: unix.PACKET_MR_PROMISC}
			err := unix.SetsockoptPacketMreq(r.fd, unix.SOL_PACKET,
				unix.PACKET_ADD_MEMBERSHIP, &mreq)
			if err != nil {
				return fmt.Errorf("enter promiscuous mode: %w", err)
			}
		}
		if err := r.bind(s.ifindex); err != nil {
			return err
		}
		if s.opts.Workers > 1 {
			if group, err = joinFanout(r.fd, group, w == 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// Workers reports the number of capture goroutines Run starts.
func (s *Source) Workers() int { return len(s.rings) }

// IfIndex reports the index of the captured interface, which every frame carries.
func (s *Source) IfIndex() uint32 { return uint32(s.ifindex) }

// LinkType reports the link type of the captured frames.
func (s *Source) LinkType() capture.LinkType { return s.linkType }

// Run delivers frames to handlers[w] from worker w until ctx is cancelled or Close is
// called, and returns nil then. Each worker sleeps in poll while its ring is empty and
// calls Tick at least every TickInterval, with the wall-clock time, or with the last
// frame's time while blocks wait in its ring. Frame.Data points into the ring and is
// only valid during HandleFrame. Run may be called again after it returned, but not
// while another Run is active; frames that arrive in between wait in the rings.
func (s *Source) Run(ctx context.Context, handlers []capture.Handler) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("afpacket on %s: source is closed", s.opts.Interface)
	}
	if len(handlers) != len(s.rings) {
		s.mu.Unlock()
		return fmt.Errorf("afpacket on %s: need %d handlers, got %d", s.opts.Interface,
			len(s.rings), len(handlers))
	}
	// A wake-up left from the previous Run would stop this one at once. It is cleared
	// under the lock so that a wake-up from a concurrent Close is never lost.
	s.wake.Clear()
	s.cancelRun = cancel
	s.running.Add(1)
	s.mu.Unlock()
	defer s.running.Done()

	err := s.wake.RunWorkers(runCtx, len(s.rings), func(ctx context.Context, w int) error {
		return s.work(ctx, s.rings[w], handlers[w])
	})
	for _, r := range s.rings {
		_, _ = r.foldStats()
	}
	if err != nil {
		return fmt.Errorf("afpacket on %s: %w", s.opts.Interface, err)
	}
	return nil
}

// Stats reports the kernel's counters, summed over the workers, since New.
func (s *Source) Stats() (Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := s.total
	var errs []error
	for _, r := range s.rings {
		st, err := r.foldStats()
		errs = append(errs, err)
		sum.add(st)
	}
	return sum, errors.Join(errs...)
}

// Close stops a running Run, then unmaps the rings and closes every socket. It is
// safe to call more than once.
func (s *Source) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.cancelRun != nil {
		s.cancelRun()
	}
	s.mu.Unlock()

	if s.wake != nil {
		s.wake.Raise()
	}
	s.running.Wait()

	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, r := range s.rings {
		st, _ := r.foldStats()
		s.total.add(st)
		errs = append(errs, r.close())
	}
	s.rings = nil
	if s.wake != nil {
		errs = append(errs, s.wake.Close())
		s.wake = nil
	}
	return errors.Join(errs...)
}
