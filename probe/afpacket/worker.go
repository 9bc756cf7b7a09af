package afpacket

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/internal/sockwait"
)

// work is one worker's loop: read every block the kernel has handed over, then sleep
// in poll until the next block, a wake-up or the next tick is due.
func (s *Source) work(ctx context.Context, r *ring, h capture.Handler) error {
	waiter := s.wake.Waiter(r.fd)
	frame := capture.Frame{IfIndex: uint32(s.ifindex), LinkType: s.linkType}
	interval := s.opts.TickInterval
	var nextTick time.Time

	for {
		if now := time.Now(); !now.Before(nextTick) {
			h.Tick(r.tickTime(now))
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

		switch got, err := waiter.Wait(nextTick); {
		case err != nil:
			return err
		case got == sockwait.Raised:
			return nil
		case got == sockwait.Faulted:
			// The interface going down ends nothing: the socket stays bound and
			// capture resumes when the interface comes back up. Removing an
			// interface first takes it down, which is all the socket is told at
			// once; whether it is gone shows in the socket's binding.
			if err := sockwait.SocketError(r.fd, checkBound); err != nil {
				return err
			}
		}
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
