package sockwait

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Signal is an eventfd that the workers of one source poll besides their sockets.
// Once raised it stays raised, so every worker sees it, until Clear.
type Signal struct {
	fd int
}

// NewSignal creates a Signal that is not raised.
func NewSignal() (*Signal, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("create eventfd: %w", err)
	}
	return &Signal{fd: fd}, nil
}

// Raise makes every poll on the Signal return, now and until Clear. It is safe to
// call from any goroutine.
func (s *Signal) Raise() {
	one := [8]byte{1}
	// The only possible failure is a counter near overflow, which is raised anyway.
	_, _ = unix.Write(s.fd, one[:])
}

// Clear lowers the Signal. A Raise that races with Clear may be lost, so callers
// clear under the same lock that guards their decision to raise.
func (s *Signal) Clear() {
	var count [8]byte
	// EAGAIN only says that the Signal was not raised.
	_, _ = unix.Read(s.fd, count[:])
}

// Close releases the eventfd. No worker may poll the Signal any more.
func (s *Signal) Close() error {
	if err := unix.Close(s.fd); err != nil {
		return fmt.Errorf("close eventfd: %w", err)
	}
	return nil
}
