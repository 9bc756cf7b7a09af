package afxdp

import (
	"sync/atomic"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// testRingMem lays a ring out in Go memory as the kernel does in its mapping:
// producer, consumer and flags words, then the descriptors.
func testRingMem(size int, descSize uintptr) ([]byte, unix.XDPRingOffset) {
	off := unix.XDPRingOffset{Producer: 0, Consumer: 64, Flags: 128, Desc: 192}
	words := make([]uint64, (off.Desc+uint64(uintptr(size)*descSize))/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(words)*8), off
}

func TestFillRingWraps(t *testing.T) {
	const size = 8
	mem, off := testRingMem(size, 8)
	r := newFillRing(mem, off, size)
	// Start near the wrap of the 32-bit indices, as a long-running socket will be.
	start := ^uint32(0) - 3
	atomic.StoreUint32(r.producer, start)
	atomic.StoreUint32(r.consumer, start)

	kernelCons := start
	next := uint64(0)
	for round := range 20 {
		room := r.room()
		if want := size - int(atomic.LoadUint32(r.producer)-kernelCons); room != want {
			t.Fatalf("round %d: room %d, want %d", round, room, want)
		}
		batch := make([]uint64, room)
		for i := range batch {
			batch[i] = next
			next += 2048
		}
		r.give(batch)
		if r.room() != 0 {
			t.Fatalf("round %d: room %d after filling", round, r.room())
		}
		// The kernel takes a varying number of entries, in order.
		take := uint32(1 + round%size)
		for i := range take {
			got := r.addrs[(kernelCons+i)&r.mask]
			want := (next/2048 - uint64(atomic.LoadUint32(r.producer)-kernelCons-i)) * 2048
			if got != want {
				t.Fatalf("round %d: slot %d holds %d, want %d", round, i, got, want)
			}
		}
		kernelCons += take
		atomic.StoreUint32(r.consumer, kernelCons)
	}
}

func TestRxRingReadyAndRelease(t *testing.T) {
	const size = 4
	mem, off := testRingMem(size, unsafe.Sizeof(unix.XDPDesc{}))
	r := newRxRing(mem, off, size)
	start := ^uint32(0) - 1
	atomic.StoreUint32(r.producer, start)
	atomic.StoreUint32(r.consumer, start)

	if _, n := r.ready(64); n != 0 {
		t.Fatalf("empty ring reports %d ready", n)
	}
	prod := start
	for i := range uint32(3) {
		r.descs[(prod+i)&r.mask] = unix.XDPDesc{Addr: uint64(i) * 2048, Len: 60 + i}
	}
	prod += 3
	atomic.StoreUint32(r.producer, prod)

	first, n := r.ready(2)
	if first != start || n != 2 {
		t.Fatalf("ready(2) = %d, %d; want %d, 2", first, n, start)
	}
	if d := r.desc(first + 1); d.Addr != 2048 || d.Len != 61 {
		t.Fatalf("second descriptor %+v", *d)
	}
	r.release(n)
	first, n = r.ready(64)
	if first != start+2 || n != 1 || r.desc(first).Len != 62 {
		t.Fatalf("after release: first %d, n %d, desc %+v", first, n, *r.desc(first))
	}
	r.release(n)
	if got := atomic.LoadUint32(r.consumer); got != prod {
		t.Fatalf("consumer %d, want %d", got, prod)
	}
}

func TestNeedWakeup(t *testing.T) {
	mem, off := testRingMem(4, 8)
	r := newFillRing(mem, off, 4)
	if r.needWakeup() {
		t.Fatal("need-wakeup reported with the flag clear")
	}
	s := &socket{fd: -1, fill: r}
	if s.kick() {
		t.Fatal("kicked the kernel without the need-wakeup flag")
	}
	atomic.StoreUint32(r.flags, unix.XDP_RING_NEED_WAKEUP)
	if !r.needWakeup() {
		t.Fatal("need-wakeup not reported with the flag set")
	}
	if !s.kick() {
		t.Fatal("did not kick the kernel with the need-wakeup flag set")
	}
}

func TestRefillTakesFromFreeFrames(t *testing.T) {
	mem, off := testRingMem(4, 8)
	s := &socket{fill: newFillRing(mem, off, 4), free: []uint64{0, 2048, 4096, 6144, 8192, 10240}}
	s.refill()
	if len(s.free) != 2 || s.fill.room() != 0 {
		t.Fatalf("after refill: %d free, room %d", len(s.free), s.fill.room())
	}
	seen := map[uint64]bool{s.free[0]: true, s.free[1]: true}
	for _, a := range s.fill.addrs {
		if seen[a] {
			t.Fatalf("frame %d is both free and on the fill ring", a)
		}
		seen[a] = true
	}
	if len(seen) != 6 {
		t.Fatalf("frames lost or duplicated: %v", seen)
	}
}
