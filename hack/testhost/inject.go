package testhost

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Injector writes raw frames onto one interface through an AF_PACKET socket. The frames
// go out exactly as given (link header included) and reach the other veth end as if
// received from a wire. An Injector is not safe for concurrent use.
type Injector struct {
	fd   int
	link string

	// msgs and iovs are SendBatch's reused system call arguments.
	msgs []unix.Mmsghdr
	iovs []unix.Iovec
}

// NewInjector opens an injector on the end's link. The socket is opened inside the
// end's namespace and receives nothing.
func (e *End) NewInjector() (*Injector, error) {
	inj := &Injector{fd: -1, link: e.Link}
	err := e.Do(func() error {
		// Protocol 0: the socket only sends, so the kernel never queues frames to it.
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open AF_PACKET socket: %w", err)
		}
		sa := &unix.SockaddrLinklayer{Ifindex: e.IfIndex}
		if err := unix.Bind(fd, sa); err != nil {
			unix.Close(fd)
			return fmt.Errorf("bind AF_PACKET socket to %s: %w", e.Link, err)
		}
		inj.fd = fd
		return nil
	})
	if err != nil {
		return nil, err
	}
	return inj, nil
}

// Send transmits one frame. It does not allocate, so benchmarks can drive it.
func (i *Injector) Send(frame []byte) error {
	n, err := unix.Write(i.fd, frame)
	if err != nil {
		return fmt.Errorf("send frame on %s: %w", i.link, err)
	}
	if n != len(frame) {
		return fmt.Errorf("send frame on %s: wrote %d of %d bytes", i.link, n, len(frame))
	}
	return nil
}

// Close releases the socket.
func (i *Injector) Close() error {
	if i.fd < 0 {
		return nil
	}
	err := unix.Close(i.fd)
	i.fd = -1
	return err
}

// Inject sends the frames on the end's link through a short-lived injector.
func (e *End) Inject(frames ...[]byte) error {
	inj, err := e.NewInjector()
	if err != nil {
		return err
	}
	defer inj.Close()
	for _, f := range frames {
		if err := inj.Send(f); err != nil {
			return err
		}
	}
	return nil
}
