package sockwait

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Outcome says why Wait returned.
type Outcome int

const (
	// Again means the worker should look at its socket again: frames may have come,
	// or the deadline passed.
	Again Outcome = iota
	// Raised means the source's Signal was raised: the worker is to return.
	Raised
	// Faulted means poll flagged the socket with POLLERR or POLLNVAL: the worker
	// reads the error with SocketError.
	Faulted
)

// Waiter puts one worker to sleep on its socket and its source's Signal. It belongs
// to one goroutine.
type Waiter struct {
	fds [2]unix.PollFd
}

// Waiter returns a Waiter for a worker that reads the socket sock.
func (s *Signal) Waiter(sock int) Waiter {
	return Waiter{fds: [2]unix.PollFd{
		{Fd: int32(sock), Events: unix.POLLIN},
		{Fd: int32(s.fd), Events: unix.POLLIN},
	}}
}

// Wait sleeps until the socket is readable or flagged, the Signal is raised, or
// deadline passes, and reports which; a raised Signal wins over the socket. It sleeps
// for a millisecond at least, since poll counts in whole milliseconds and a shorter
// sleep would spin. A signal that interrupts poll (the Go runtime preempts goroutines
// with one) puts it back to sleep until the deadline. It fails only when poll itself
// fails.
func (w *Waiter) Wait(deadline time.Time) (Outcome, error) {
	for {
		wait := time.Until(deadline)
		timeout := int((wait + time.Millisecond - 1) / time.Millisecond)
		w.fds[0].Revents, w.fds[1].Revents = 0, 0
		_, err := unix.Poll(w.fds[:], max(timeout, 1))
		if errors.Is(err, unix.EINTR) {
			if time.Now().Before(deadline) {
				continue
			}
			return Again, nil
		}
		if err != nil {
			return Again, fmt.Errorf("poll: %w", err)
		}
		break
	}
	switch {
	case w.fds[1].Revents != 0:
		return Raised, nil
	case w.fds[0].Revents&(unix.POLLERR|unix.POLLNVAL) != 0:
		return Faulted, nil
	}
	return Again, nil
}

// SocketError reads and clears the error pending on the socket fd and reports it as
// the end of the capture. It returns nil when there is none, and what netDown(fd)
// returns when it is ENETDOWN: AF_PACKET and AF_XDP sockets mean different things by
// it, so each source decides.
func SocketError(fd int, netDown func(fd int) error) error {
	code, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return fmt.Errorf("read socket error: %w", err)
	}
	switch errno := unix.Errno(code); errno {
	case 0:
		return nil
	case unix.ENETDOWN:
		return netDown(fd)
	default:
		return fmt.Errorf("capture socket: %w", errno)
	}
}
