package afxdp

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/internal/sockwait"
)

// batchSize bounds the frames a worker handles before it returns their UMEM frames
// to the fill ring, so the kernel never waits long for free frames during a burst.
const batchSize = 64

// work is one worker's loop: hand over every received frame in batches, refilling
// the fill ring after each, then sleep in poll until a frame, a wake-up or the next
// tick is due.
func (s *Source) work(ctx context.Context, sock *socket, h capture.Handler,
	counts *workerCounts) error {
	waiter := s.wake.Waiter(sock.fd)
	frame := capture.Frame{IfIndex: uint32(s.ifindex), LinkType: s.linkType}
	interval := s.opts.TickInterval
	var nextTick time.Time
	nap := unix.NsecToTimespec(int64(s.opts.BatchWait))
	busy := false

	for {
		now := time.Now()
		if !now.Before(nextTick) {
			h.Tick(now.UnixNano())
			nextTick = now.Add(interval)
			if err := socketError(sock.fd); err != nil {
				return err
			}
		}

		frame.Timestamp = now.UnixNano()
		if good, bad := sock.deliver(h, &frame); good+bad > 0 {
			sock.refill()
			if sock.kick() {
				counts.wakeups.Add(1)
			}
			counts.received.Add(uint64(good))
			if bad > 0 {
				counts.badDescs.Add(uint64(bad))
			}
			busy = true
			if ctx.Err() != nil || s.closing.Load() {
				return nil
			}
			continue
		}
		if ctx.Err() != nil || s.closing.Load() {
			return nil
		}
		// The kernel may have asked for a wake-up after the last batch was handled.
		if sock.kick() {
			counts.wakeups.Add(1)
		}
		if busy && s.opts.BatchWait > 0 {
			// After frames came, nap instead of polling: while no one waits on the
			// socket the kernel delivers frames without waking anyone, and the next
			// drain finds a batch instead of a single frame.
			busy = false
			_ = unix.Nanosleep(&nap, nil)
			continue
		}

		switch got, err := waiter.Wait(nextTick); {
		case err != nil:
			return fmt.Errorf("queue %d: %w", sock.queue, err)
		case got == sockwait.Raised:
			return nil
		case got == sockwait.Faulted:
			if err := socketError(sock.fd); err != nil {
				return err
			}
		}
	}
}

// deliver hands up to batchSize received frames to h, gives the RX ring entries
// back and keeps their UMEM frames for refill. It returns how many frames it handed
// over and how many descriptors it skipped because they were empty, pointed outside
// the UMEM or would return more frames than the UMEM has, which only a kernel bug
// would cause.
func (s *socket) deliver(h capture.Handler, frame *capture.Frame) (good, bad uint32) {
	first, n := s.rx.ready(batchSize)
	for i := first; i != first+n; i++ {
		d := s.rx.desc(i)
		end := d.Addr + uint64(d.Len)
		if d.Len == 0 || d.Addr >= uint64(len(s.umem)) || end > uint64(len(s.umem)) ||
			len(s.free) == cap(s.free) {
			bad++
			continue
		}
		frame.Data = s.umem[d.Addr:end]
		frame.WireLen = int(d.Len)
		h.HandleFrame(frame)
		s.free = append(s.free, d.Addr&s.frameMask)
	}
	s.rx.release(n)
	return n - bad, bad
}

// socketError reports an error pending on the socket.
func socketError(fd int) error {
	return sockwait.SocketError(fd, interfaceRemoved)
}

// interfaceRemoved is what ENETDOWN means on an AF_XDP socket: the kernel only sets
// it when the socket's interface is removed, and the socket then never receives
// again.
func interfaceRemoved(int) error {
	return fmt.Errorf("interface was removed: %w", unix.ENETDOWN)
}
