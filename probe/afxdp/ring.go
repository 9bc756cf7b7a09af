package afxdp

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ring holds the indices of one single-producer, single-consumer ring shared with
// the kernel. The indices run freely and wrap at 2^32; a slot is index & mask. The
// side that does not own an index only reads it, with an atomic load, so that the
// descriptors it publishes are seen before the index that announces them.
type ring struct {
	producer *uint32
	consumer *uint32
	flags    *uint32
	mask     uint32
}

// newRing points a ring at its indices inside mem, laid out as off says, and returns
// the address of its first descriptor.
func newRing(mem []byte, off unix.XDPRingOffset, size int) (ring, unsafe.Pointer) {
	base := unsafe.Pointer(unsafe.SliceData(mem))
	return ring{
		producer: (*uint32)(unsafe.Add(base, off.Producer)),
		consumer: (*uint32)(unsafe.Add(base, off.Consumer)),
		flags:    (*uint32)(unsafe.Add(base, off.Flags)),
		mask:     uint32(size - 1),
	}, unsafe.Add(base, off.Desc)
}

// needWakeup reports whether the kernel asks for a system call before it looks at
// the ring again; it only does so for sockets bound with XDP_USE_NEED_WAKEUP.
func (r *ring) needWakeup() bool {
	return atomic.LoadUint32(r.flags)&unix.XDP_RING_NEED_WAKEUP != 0
}

// fillRing is the ring of free UMEM frame addresses user space gives the kernel to
// receive into; user space produces, the kernel consumes.
type fillRing struct {
	ring
	addrs []uint64
}

func newFillRing(mem []byte, off unix.XDPRingOffset, size int) fillRing {
	r, desc := newRing(mem, off, size)
	return fillRing{ring: r, addrs: unsafe.Slice((*uint64)(desc), size)}
}

// room reports how many addresses the ring can take now.
func (r *fillRing) room() int {
	return int(r.mask + 1 - (atomic.LoadUint32(r.producer) - atomic.LoadUint32(r.consumer)))
}

// give puts addrs on the ring; the caller has checked there is room for them.
func (r *fillRing) give(addrs []uint64) {
	prod := atomic.LoadUint32(r.producer)
	for i, a := range addrs {
		r.addrs[(prod+uint32(i))&r.mask] = a
	}
	atomic.StoreUint32(r.producer, prod+uint32(len(addrs)))
}

// rxRing is the ring of received frames; the kernel produces, user space consumes.
type rxRing struct {
	ring
	descs []unix.XDPDesc
}

func newRxRing(mem []byte, off unix.XDPRingOffset, size int) rxRing {
	r, desc := newRing(mem, off, size)
	return rxRing{ring: r, descs: unsafe.Slice((*unix.XDPDesc)(desc), size)}
}

// ready reports the index of the first received descriptor and how many, up to max,
// are ready from there. They stay owned by user space until release.
func (r *rxRing) ready(max uint32) (first, n uint32) {
	cons := atomic.LoadUint32(r.consumer)
	n = min(atomic.LoadUint32(r.producer)-cons, max, r.mask+1)
	return cons, n
}

// desc returns the descriptor at index i.
func (r *rxRing) desc(i uint32) *unix.XDPDesc { return &r.descs[i&r.mask] }

// release hands n descriptors, from the first one ready, back to the kernel.
func (r *rxRing) release(n uint32) {
	atomic.StoreUint32(r.consumer, atomic.LoadUint32(r.consumer)+n)
}
