package sockwait

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// socketPair returns two connected datagram sockets that are closed when t ends.
func socketPair(t *testing.T) (a, b int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

func newSignal(t *testing.T) *Signal {
	t.Helper()
	s, err := NewSignal()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// refusedSocket returns a UDP socket with ECONNREFUSED pending: it sent a datagram to
// a port on 127.0.0.1 where nothing listens.
func refusedSocket(t *testing.T) int {
	t.Helper()
	listener, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Bind to a free port, then close it again, so that nobody listens there.
	lo := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	err = unix.Bind(listener, lo)
	var sa unix.Sockaddr
	if err == nil {
		sa, err = unix.Getsockname(listener)
	}
	unix.Close(listener)
	if err != nil {
		t.Fatal(err)
	}

	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Connect(fd, sa); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Write(fd, []byte("x")); err != nil {
		t.Fatal(err)
	}
	return fd
}

func TestWaitOutcomes(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, s *Signal) (sock int)
		want  Outcome
		// slept says whether Wait had to sleep until the deadline.
		slept bool
	}{
		{"idle socket sleeps until the deadline", func(t *testing.T, s *Signal) int {
			a, _ := socketPair(t)
			return a
		}, Again, true},
		{"readable socket", func(t *testing.T, s *Signal) int {
			a, b := socketPair(t)
			if _, err := unix.Write(b, []byte("frame")); err != nil {
				t.Fatal(err)
			}
			return a
		}, Again, false},
		{"raised signal", func(t *testing.T, s *Signal) int {
			a, _ := socketPair(t)
			s.Raise()
			return a
		}, Raised, false},
		{"raised signal wins over a readable socket", func(t *testing.T, s *Signal) int {
			a, b := socketPair(t)
			if _, err := unix.Write(b, []byte("frame")); err != nil {
				t.Fatal(err)
			}
			s.Raise()
			return a
		}, Raised, false},
		{"cleared signal", func(t *testing.T, s *Signal) int {
			a, _ := socketPair(t)
			s.Raise()
			s.Raise()
			s.Clear()
			return a
		}, Again, true},
		{"socket with an error", func(t *testing.T, s *Signal) int {
			return refusedSocket(t)
		}, Faulted, false},
	}
	const sleep = 100 * time.Millisecond
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSignal(t)
			w := s.Waiter(tc.setup(t, s))
			start := time.Now()
			got, err := w.Wait(start.Add(sleep))
			took := time.Since(start)
			if err != nil || got != tc.want {
				t.Fatalf("Wait = %v, %v; want %v", got, err, tc.want)
			}
			if slept := took >= sleep; slept != tc.slept {
				t.Errorf("Wait returned after %v; want sleeping until the deadline: %v",
					took, tc.slept)
			}
		})
	}
}

func TestRaiseWakesEveryWaiter(t *testing.T) {
	s := newSignal(t)
	const n = 3
	outcomes := make(chan Outcome, n)
	for range n {
		a, _ := socketPair(t)
		w := s.Waiter(a)
		go func() {
			got, _ := w.Wait(time.Now().Add(10 * time.Second))
			outcomes <- got
		}()
	}
	time.Sleep(20 * time.Millisecond)
	s.Raise()
	for range n {
		select {
		case got := <-outcomes:
			if got != Raised {
				t.Errorf("a waiter woke with %v", got)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("a waiter slept on after Raise")
		}
	}
}

func TestSocketError(t *testing.T) {
	netDown := func(int) error { return errors.New("net down") }
	a, _ := socketPair(t)
	if err := SocketError(a, netDown); err != nil {
		t.Errorf("socket without an error: %v", err)
	}
	fd := refusedSocket(t)
	// The kernel queues the ICMP answer asynchronously; wait for it as a worker would.
	w := newSignal(t).Waiter(fd)
	if got, err := w.Wait(time.Now().Add(2 * time.Second)); got != Faulted || err != nil {
		t.Fatalf("Wait = %v, %v; want Faulted", got, err)
	}
	err := SocketError(fd, netDown)
	if !errors.Is(err, unix.ECONNREFUSED) || !strings.HasPrefix(err.Error(), "capture socket") {
		t.Errorf("SocketError = %v, want ECONNREFUSED", err)
	}
	if err := SocketError(fd, netDown); err != nil {
		t.Errorf("the error was not cleared: %v", err)
	}
	if err := SocketError(-1, netDown); err == nil || !errors.Is(err, unix.EBADF) {
		t.Errorf("SocketError on a bad descriptor: %v", err)
	}
}

func TestRunWorkers(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name string
		// fail is the worker that fails at once, or -1.
		fail int
		// cancel cancels Run's context after a moment.
		cancel bool
		want   error
	}{
		{"context ends", -1, true, nil},
		{"a worker fails", 1, false, boom},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSignal(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				time.AfterFunc(20*time.Millisecond, cancel)
			}
			var sleepers, spinners atomic.Int32
			done := make(chan error, 1)
			go func() {
				done <- s.RunWorkers(ctx, 4, func(ctx context.Context, w int) error {
					if w == tc.fail {
						return boom
					}
					if w%2 == 0 {
						// A worker asleep in poll only sees the Signal.
						a, _ := socketPair(t)
						wt := s.Waiter(a)
						for {
							got, err := wt.Wait(time.Now().Add(10 * time.Second))
							if err != nil || got == Raised {
								sleepers.Add(1)
								return err
							}
						}
					}
					// A busy worker never polls and only sees its context.
					for ctx.Err() == nil {
						time.Sleep(time.Millisecond)
					}
					spinners.Add(1)
					return nil
				})
			}()
			select {
			case err := <-done:
				if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
					t.Errorf("RunWorkers = %v, want %v", err, tc.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("RunWorkers did not return")
			}
			want := int32(4)
			if tc.fail >= 0 {
				want--
			}
			if n := sleepers.Load() + spinners.Load(); n != want {
				t.Errorf("%d workers returned on their own, want %d", n, want)
			}
			// The Signal stays raised after Run for the caller to clear.
			a, _ := socketPair(t)
			w := s.Waiter(a)
			if got, _ := w.Wait(time.Now().Add(time.Second)); got != Raised {
				t.Errorf("after RunWorkers the Signal is not raised: %v", got)
			}
		})
	}
}
