package afpacket

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// work is one worker's loop: read every block the kernel has handed over, then sleep
// in poll until the next block, a wake-up or the next tick is due.
func (s *Source) work(ctx context.Context, r *ring, h capture.Handler) error {
	fds := []unix.PollFd{
		{Fd: int32(r.fd), Events: unix.POLLIN},
		{Fd: int32(s.wake), Events: unix.POLLIN},
	}
	frame := capture.Frame{IfIndex: uint32(s.ifindex), LinkType: s.linkType}
	interval := s.opts.TickInterval
	var nextTick time.Time

	for {
		if now := time.Now(); !now.Before(nextTick) {
			h.Tick(now.UnixNano())
			nextTick = now.Add(interval)
			// Kernel counters are 32 bits wide; folding them every tick keeps them
			// from wrapping.
			_, _ = r.foldStats()
			if err := checkBound(r.fd); err != nil {
				return err
			}
		}

		if b, ok := r.readyBlock(); ok {
			r.deliver(b, h, &frame)
			r.releaseBlock(b)
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		if ctx.Err() != nil {
			return nil
		}

		wait := time.Until(nextTick)
		timeout := int((wait + time.Millisecond - 1) / time.Millisecond)
		fds[0].Revents, fds[1].Revents = 0, 0
		if _, err := unix.Poll(fds, max(timeout, 1)); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("poll: %w", err)
		}
		if fds[1].Revents != 0 {
			return nil
		}
		if fds[0].Revents&(unix.POLLERR|unix.POLLNVAL) != 0 {
			if err := socketError(r.fd); err != nil {
				return err
			}
		}
	}
}

// socketError reports an error pending on the socket that ends the capture. The
// interface going down is not one: the socket stays bound and capture resumes when the
// interface comes back up.
func socketError(fd int) error {
	code, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return fmt.Errorf("read socket error: %w", err)
	}
	switch errno := unix.Errno(code); errno {
	case 0:
		return nil
	case unix.ENETDOWN:
		// Removing an interface first takes it down, which is all the socket is
		// told at once; whether it is gone shows in the socket's binding.
		return checkBound(fd)
	default:
		return fmt.Errorf("capture socket: %w", errno)
	}
}

// checkBound fails when the socket's interface has been removed: the kernel then
// leaves the socket bound to no interface, and no frame will come again.
func checkBound(fd int) error {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fmt.Errorf("read socket binding: %w", err)
	}
	if ll, ok := sa.(*unix.SockaddrLinklayer); ok && ll.Ifindex <= 0 {
		return fmt.Errorf("interface was removed")
	}
	return nil
}
