package afxdp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// batchSize bounds the frames a worker handles before it returns their UMEM frames
// to the fill ring, so the kernel never waits long for free frames during a burst.
const batchSize = 64

// work is one worker's loop: hand over every received frame in batches, refilling
// the fill ring after each, then sleep in poll until a frame, a wake-up or the next
// tick is due.
func (s *Source) work(ctx context.Context, sock *socket, h capture.Handler,
	counts *workerCounts) error {
	fds := []unix.PollFd{
		{Fd: int32(sock.fd), Events: unix.POLLIN},
		{Fd: int32(s.wake), Events: unix.POLLIN},
	}
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

		wait := time.Until(nextTick)
		timeout := int((wait + time.Millisecond - 1) / time.Millisecond)
		fds[0].Revents, fds[1].Revents = 0, 0
		if _, err := unix.Poll(fds, max(timeout, 1)); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("poll queue %d: %w", sock.queue, err)
		}
		if fds[1].Revents != 0 {
			return nil
		}
		if fds[0].Revents&(unix.POLLERR|unix.POLLNVAL) != 0 {
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

// socketError reports an error pending on the socket. The kernel only sets one on an
// AF_XDP socket when its interface is removed, and the socket then never receives
// again.
func socketError(fd int) error {
	code, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return fmt.Errorf("read socket error: %w", err)
	}
	switch errno := unix.Errno(code); errno {
	case 0:
		return nil
	case unix.ENETDOWN:
		return fmt.Errorf("interface was removed: %w", errno)
	default:
		return fmt.Errorf("capture socket: %w", errno)
	}
}
