package afxdp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/bpf/attach"
	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/internal/sockwait"
)

// Stats counts what happened to the frames of one source, over all sockets. The
// kernel's counters overlap: a frame dropped for want of a fill ring entry counts in
// Dropped and in FillRingEmpty. Undelivered sums the frames lost.
type Stats struct {
	// Received is the number of frames handed to the handlers.
	Received uint64
	// Dropped is the number of frames the kernel redirected to a socket but could
	// not give a UMEM frame: the fill ring was empty, or the frame did not fit.
	Dropped uint64
	// RxRingFull is the number of frames the kernel redirected to a socket but
	// dropped because its RX ring was full.
	RxRingFull uint64
	// FillRingEmpty is the number of times the kernel found a fill ring empty.
	FillRingEmpty uint64
	// InvalidDescs is the number of invalid descriptors the kernel found on a fill
	// ring; it stays 0 unless the source has a bug.
	InvalidDescs uint64
	// Wakeups is the number of system calls made because the kernel set the fill
	// ring's need-wakeup flag.
	Wakeups uint64
	// BadDescs is the number of RX descriptors skipped because they pointed outside
	// the UMEM or would return more frames than it has; it stays 0 unless the kernel
	// has a bug.
	BadDescs uint64
}

// Source captures live frames from one interface through AF_XDP sockets, one per RX
// queue. It implements capture.Source.
type Source struct {
	opts     Options
	ifindex  int
	linkType capture.LinkType
	mode     BindMode
	socks    []*socket
	counts   []workerCounts
	redirect *redirect
	// wake is polled by every worker besides its socket; raising it makes them all
	// return.
	wake *sockwait.Signal
	// promisc holds the interface in promiscuous mode while open; -1 when not.
	promisc int

	// closing tells busy workers, which do not look at wake between batches, to
	// return.
	closing atomic.Bool

	mu      sync.Mutex
	running sync.WaitGroup
	busy    bool // Run or Drain is using the sockets
	closed  bool
	total   Stats // kernel counters of closed sockets
}

// workerCounts are the counters a worker keeps; Stats reads them concurrently.
type workerCounts struct {
	received atomic.Uint64
	wakeups  atomic.Uint64
	badDescs atomic.Uint64
}

var _ capture.Source = (*Source)(nil)

// New opens one AF_XDP socket per RX queue of opts.Interface (or per queue of
// opts.Queues), in the network namespace of the calling thread, and starts the
// redirect into them: through opts.XSKMap, or with a program New attaches. Frames
// that arrive before Run wait in the rings. New fails with an error naming the
// interface when it does not exist, when the process lacks the privileges, or when
// another XDP program holds the interface (attach.ErrOtherProgram, wrapped).
func New(opts Options) (*Source, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("afxdp: %w", err)
	}
	s := &Source{opts: o, promisc: -1}
	if err := s.open(); err != nil {
		return nil, errors.Join(fmt.Errorf("afxdp on %s: %w", o.Interface, err), s.Close())
	}
	return s, nil
}

func (s *Source) open() error {
	ifi, err := net.InterfaceByName(s.opts.Interface)
	if err != nil {
		return fmt.Errorf("interface %q: %w", s.opts.Interface, err)
	}
	s.ifindex = ifi.Index
	if s.linkType, err = linkType(s.opts.Interface); err != nil {
		return err
	}
	n, err := rxQueues(s.opts.Interface)
	if err != nil {
		return err
	}
	queues := s.opts.Queues
	for _, q := range queues {
		if q >= n {
			return fmt.Errorf("queue %d: the interface has %d rx queues", q, n)
		}
	}
	if len(queues) == 0 {
		for q := range n {
			queues = append(queues, q)
		}
	}
	if s.wake, err = sockwait.NewSignal(); err != nil {
		return err
	}
	for _, q := range queues {
		sock, err := openSocket(s.ifindex, q, s.opts)
		if err != nil {
			return err
		}
		s.socks = append(s.socks, sock)
	}
	if s.opts.Promiscuous {
		if s.promisc, err = enterPromiscuous(s.ifindex); err != nil {
			return err
		}
	}
	s.counts = make([]workerCounts, len(s.socks))
	s.mode = BindZeroCopy
	for _, sock := range s.socks {
		if !sock.zeroCopy {
			s.mode = BindCopy
		}
	}
	s.redirect, err = newRedirect(s.opts, s.socks, n)
	return err
}

// Workers reports the number of capture goroutines Run starts: one per socket.
func (s *Source) Workers() int { return len(s.socks) }

// Queues reports the RX queue of each worker's socket, in worker order.
func (s *Source) Queues() []int {
	qs := make([]int, len(s.socks))
	for i, sock := range s.socks {
		qs[i] = sock.queue
	}
	return qs
}

// IfIndex reports the index of the captured interface, which every frame carries.
func (s *Source) IfIndex() uint32 { return uint32(s.ifindex) }

// LinkType reports the link type of the captured frames.
func (s *Source) LinkType() capture.LinkType { return s.linkType }

// BindMode reports BindZeroCopy when every socket receives in zero-copy mode and
// BindCopy otherwise.
func (s *Source) BindMode() BindMode { return s.mode }

// AttachMode reports how the source's own redirect program is attached, and false
// when the caller's program redirects through Options.XSKMap.
func (s *Source) AttachMode() (attach.Mode, bool) {
	if s.redirect == nil {
		return 0, false
	}
	return s.redirect.attachMode()
}

// Run delivers frames to handlers[w] from worker w until ctx is cancelled or Close is
// called, and returns nil then. Each worker sleeps in poll while its RX ring is empty
// and calls Tick with the wall-clock time at least every TickInterval. Frame.Data
// points into the UMEM and is only valid during HandleFrame. Run may be called again
// after it returned; frames that arrived in between wait in the rings.
func (s *Source) Run(ctx context.Context, handlers []capture.Handler) error {
	if err := s.begin(len(handlers)); err != nil {
		return err
	}
	defer s.end()

	err := s.wake.RunWorkers(ctx, len(s.socks), func(ctx context.Context, w int) error {
		return s.work(ctx, s.socks[w], handlers[w], &s.counts[w])
	})
	if err != nil {
		return fmt.Errorf("afxdp on %s: %w", s.opts.Interface, err)
	}
	return nil
}

// begin claims the sockets for one Run or Drain with the given number of handlers.
func (s *Source) begin(handlers int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return fmt.Errorf("afxdp on %s: source is closed", s.opts.Interface)
	case s.busy:
		return fmt.Errorf("afxdp on %s: Run or Drain is already running", s.opts.Interface)
	case handlers != len(s.socks):
		return fmt.Errorf("afxdp on %s: need %d handlers, got %d", s.opts.Interface,
			len(s.socks), handlers)
	}
	// A wake-up left from the previous Run would stop this one at once. It is cleared
	// under the lock so that a wake-up from a concurrent Close is never lost.
	s.wake.Clear()
	s.busy = true
	s.running.Add(1)
	return nil
}

func (s *Source) end() {
	s.mu.Lock()
	s.busy = false
	s.mu.Unlock()
	s.running.Done()
}

// Stats reports the counters, summed over the sockets, since New.
func (s *Source) Stats() (Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := s.total
	var errs []error
	for _, sock := range s.socks {
		ks, err := sock.kernelStats()
		errs = append(errs, err)
		addKernel(&sum, ks)
	}
	for i := range s.counts {
		sum.Received += s.counts[i].received.Load()
		sum.Wakeups += s.counts[i].wakeups.Load()
		sum.BadDescs += s.counts[i].badDescs.Load()
	}
	return sum, errors.Join(errs...)
}

// Undelivered is the number of frames the kernel redirected to a socket but could
// not deliver, for any reason.
func (s *Stats) Undelivered() uint64 { return s.Dropped + s.RxRingFull }

func addKernel(sum *Stats, ks unix.XDPStatistics) {
	sum.Dropped += ks.Rx_dropped
	sum.RxRingFull += ks.Rx_ring_full
	sum.FillRingEmpty += ks.Rx_fill_ring_empty_descs
	sum.InvalidDescs += ks.Rx_invalid_descs
}

// Close stops a running Run, detaches the source's own program, takes the sockets
// out of the caller's XSKMAP, and closes the sockets. It is safe to call more than
// once; the source keeps its counters for Stats.
func (s *Source) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()

	s.closing.Store(true)
	if s.wake != nil {
		s.wake.Raise()
	}
	s.running.Wait()

	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	if s.redirect != nil {
		errs = append(errs, s.redirect.close())
		s.redirect = nil
	}
	for _, sock := range s.socks {
		if ks, err := sock.kernelStats(); err == nil {
			addKernel(&s.total, ks)
		}
		errs = append(errs, sock.close())
	}
	s.socks = nil
	if s.wake != nil {
		errs = append(errs, s.wake.Close())
		s.wake = nil
	}
	if s.promisc >= 0 {
		errs = append(errs, unix.Close(s.promisc))
		s.promisc = -1
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("afxdp on %s: %w", s.opts.Interface, err)
	}
	return nil
}
