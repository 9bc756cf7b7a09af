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
	frame := capture.Frame{IfIndex: uint32(s.ifindex), LinkType: capture.LinkEthernet}
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

		if first, n := sock.rx.ready(batchSize); n > 0 {
			frame.Timestamp = now.UnixNano()
			for i := first; i != first+n; i++ {
				d := sock.rx.desc(i)
				frame.Data = sock.umem[d.Addr : d.Addr+uint64(d.Len)]
				frame.WireLen = int(d.Len)
				h.HandleFrame(&frame)
				sock.free = append(sock.free, d.Addr&sock.frameMask)
			}
			sock.rx.release(n)
			sock.refill()
			if sock.kick() {
				counts.wakeups.Add(1)
			}
			counts.received.Add(uint64(n))
			busy = true
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		// The kernel may have asked for a wake-up after the last batch was handled.
		if sock.kick() {
			counts.wakeups.Add(1)
		}
		if busy && nap.Nsec > 0 {
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
