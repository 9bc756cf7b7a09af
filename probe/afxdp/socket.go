package afxdp

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// socket is one AF_XDP socket bound to one RX queue, with its own UMEM.
type socket struct {
	fd       int
	queue    int
	zeroCopy bool
	umem     []byte
	// frameMask clears the offset inside a frame from a descriptor's address.
	frameMask uint64
	fill      fillRing
	rx        rxRing
	// maps are the ring mappings, unmapped by close.
	maps [][]byte
	// free holds the frames neither the kernel nor a handler owns.
	free []uint64
}

// openSocket creates a socket with its UMEM and rings and binds it to the queue.
func openSocket(ifindex, queue int, o Options) (*socket, error) {
	fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("queue %d: create AF_XDP socket: %w", queue, privilegeHint(err))
	}
	s := &socket{fd: fd, queue: queue, frameMask: ^uint64(o.FrameSize - 1)}
	if err := s.setup(ifindex, o); err != nil {
		s.close()
		return nil, fmt.Errorf("queue %d: %w", queue, err)
	}
	return s, nil
}

func (s *socket) setup(ifindex int, o Options) error {
	umem, err := unix.Mmap(-1, 0, o.Frames*o.FrameSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("map umem of %d bytes: %w", o.Frames*o.FrameSize, err)
	}
	s.umem = umem
	reg := unix.XDPUmemReg{
		Addr: uint64(uintptr(unsafe.Pointer(unsafe.SliceData(umem)))),
		Len:  uint64(len(umem)),
		Size: uint32(o.FrameSize),
	}
	if err := setsockopt(s.fd, unix.XDP_UMEM_REG, unsafe.Pointer(&reg),
		unsafe.Sizeof(reg)); err != nil {
		if errors.Is(err, unix.ENOBUFS) {
			err = fmt.Errorf("%w (the %d MiB exceed the locked memory limit: raise "+
				"RLIMIT_MEMLOCK, grant CAP_IPC_LOCK or use fewer Frames)", err, len(umem)>>20)
		}
		return fmt.Errorf("register umem: %w", privilegeHint(err))
	}
	sizes := []struct {
		opt, size int
		name      string
	}{
		{unix.XDP_UMEM_FILL_RING, o.FillRingSize, "fill ring"},
		{unix.XDP_UMEM_COMPLETION_RING, completionRingSize, "completion ring"},
		{unix.XDP_RX_RING, o.RxRingSize, "rx ring"},
	}
	for _, sz := range sizes {
		if err := unix.SetsockoptInt(s.fd, unix.SOL_XDP, sz.opt, sz.size); err != nil {
			return fmt.Errorf("size %s to %d entries: %w", sz.name, sz.size, err)
		}
	}
	if err := s.mapRings(o); err != nil {
		return err
	}
	if err := s.bind(ifindex, o.Bind); err != nil {
		return err
	}

	s.free = make([]uint64, o.Frames)
	for i := range s.free {
		s.free[i] = uint64(i * o.FrameSize)
	}
	s.refill()
	return nil
}

// mapRings maps the fill and RX rings into memory; the completion ring stays
// unmapped because nothing is ever transmitted.
func (s *socket) mapRings(o Options) error {
	var off unix.XDPMmapOffsets
	size := uint32(unsafe.Sizeof(off))
	_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(s.fd), unix.SOL_XDP,
		unix.XDP_MMAP_OFFSETS, uintptr(unsafe.Pointer(&off)), uintptr(unsafe.Pointer(&size)),
		0)
	if errno != 0 {
		return fmt.Errorf("read ring offsets: %w", errno)
	}
	fill, err := s.mapRing(unix.XDP_UMEM_PGOFF_FILL_RING,
		off.Fr.Desc+uint64(o.FillRingSize)*8, "fill ring")
	if err != nil {
		return err
	}
	s.fill = newFillRing(fill, off.Fr, o.FillRingSize)
	rx, err := s.mapRing(unix.XDP_PGOFF_RX_RING,
		off.Rx.Desc+uint64(o.RxRingSize)*uint64(unsafe.Sizeof(unix.XDPDesc{})), "rx ring")
	if err != nil {
		return err
	}
	s.rx = newRxRing(rx, off.Rx, o.RxRingSize)
	return nil
}

func (s *socket) mapRing(pgoff int64, length uint64, name string) ([]byte, error) {
	mem, err := unix.Mmap(s.fd, pgoff, int(length), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", name, err)
	}
	s.maps = append(s.maps, mem)
	return mem, nil
}

// bind binds the socket to its queue in the mode asked for. BindAuto tries
// zero-copy first and binds in copy mode when the driver refuses. The mode in use is
// read back from the kernel rather than inferred from which bind succeeded.
func (s *socket) bind(ifindex int, mode BindMode) error {
	try := func(flags uint16) error {
		sa := &unix.SockaddrXDP{
			Flags:   flags | unix.XDP_USE_NEED_WAKEUP,
			Ifindex: uint32(ifindex),
			QueueID: uint32(s.queue),
		}
		return unix.Bind(s.fd, sa)
	}
	var err error
	switch mode {
	case BindZeroCopy:
		err = try(unix.XDP_ZEROCOPY)
	case BindCopy:
		err = try(unix.XDP_COPY)
	default:
		if zcErr := try(unix.XDP_ZEROCOPY); zcErr != nil {
			if err = try(unix.XDP_COPY); err != nil {
				err = fmt.Errorf("zero-copy: %w; copy: %w", zcErr, err)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("bind in %s mode: %w", mode, privilegeHint(err))
	}

	flags, err := unix.GetsockoptInt(s.fd, unix.SOL_XDP, unix.XDP_OPTIONS)
	if err != nil {
		return fmt.Errorf("read bind options: %w", err)
	}
	s.zeroCopy = flags&unix.XDP_OPTIONS_ZEROCOPY != 0
	return nil
}

// refill gives the kernel as many free frames as the fill ring has room for.
func (s *socket) refill() {
	// Frames are taken from the end so the rest of free stays in place.
	n := min(s.fill.room(), len(s.free))
	s.fill.give(s.free[len(s.free)-n:])
	s.free = s.free[:len(s.free)-n]
}

// kick wakes the kernel to look at the fill ring, if it asked for that.
func (s *socket) kick() bool {
	if !s.fill.needWakeup() {
		return false
	}
	// A zero-length non-blocking receive is the documented way to wake the kernel's
	// receive path; raw so that it neither allocates nor blocks.
	_, _, _ = unix.Syscall6(unix.SYS_RECVFROM, uintptr(s.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
	return true
}

// kernelStats reads the socket's XDP_STATISTICS.
func (s *socket) kernelStats() (unix.XDPStatistics, error) {
	var st unix.XDPStatistics
	size := uint32(unsafe.Sizeof(st))
	_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(s.fd), unix.SOL_XDP,
		unix.XDP_STATISTICS, uintptr(unsafe.Pointer(&st)), uintptr(unsafe.Pointer(&size)), 0)
	if errno != 0 {
		return st, fmt.Errorf("queue %d: read statistics: %w", s.queue, errno)
	}
	return st, nil
}

// close unmaps the rings and the UMEM and closes the socket.
func (s *socket) close() error {
	var errs []error
	for _, m := range s.maps {
		errs = append(errs, unix.Munmap(m))
	}
	s.maps = nil
	if s.fd >= 0 {
		errs = append(errs, unix.Close(s.fd))
		s.fd = -1
	}
	// The kernel holds the UMEM pages pinned until the socket is gone, so the UMEM
	// is unmapped last.
	if s.umem != nil {
		errs = append(errs, unix.Munmap(s.umem))
		s.umem = nil
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("queue %d: close socket: %w", s.queue, err)
	}
	return nil
}

func setsockopt(fd, opt int, val unsafe.Pointer, size uintptr) error {
	_, _, errno := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.SOL_XDP,
		uintptr(opt), uintptr(val), size, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

func privilegeHint(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%w (needs CAP_NET_RAW, CAP_NET_ADMIN and CAP_BPF, or root)", err)
	}
	return err
}
