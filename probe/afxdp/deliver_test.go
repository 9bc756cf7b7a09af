package afxdp

import (
	"encoding/binary"
	"sync/atomic"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// lengths records what a handler was given.
type lengths struct {
	data [][]byte
}

func (l *lengths) HandleFrame(f *capture.Frame) {
	if f.WireLen != len(f.Data) {
		panic("wire length differs from the data length")
	}
	l.data = append(l.data, f.Data)
}

func (l *lengths) Tick(int64) {}

// fakeSocket is a socket over Go memory with frames UMEM frames, all of them lent to
// the kernel.
func fakeSocket(frames, ringSize int) *socket {
	const frameSize = 2048
	mem, off := testRingMem(ringSize, unsafe.Sizeof(unix.XDPDesc{}))
	return &socket{
		umem:      make([]byte, frames*frameSize),
		frameMask: ^uint64(frameSize - 1),
		rx:        newRxRing(mem, off, ringSize),
		free:      make([]uint64, 0, frames),
	}
}

// produce puts descriptors on the socket's RX ring as the kernel would.
func (s *socket) produce(descs []unix.XDPDesc) {
	prod := atomic.LoadUint32(s.rx.producer)
	for i, d := range descs {
		*s.rx.desc(prod + uint32(i)) = d
	}
	atomic.StoreUint32(s.rx.producer, prod+uint32(len(descs)))
}

func TestDeliverSkipsBadDescriptors(t *testing.T) {
	s := fakeSocket(4, 16)
	s.produce([]unix.XDPDesc{
		{Addr: 256, Len: 60}, // copy mode: data after the headroom
		{Addr: 3*2048 + 256, Len: 1500},
		{Addr: 4 * 2048, Len: 60},    // beyond the UMEM
		{Addr: 2048 + 2000, Len: 60}, // ends past the UMEM's frame but inside it
		{Addr: ^uint64(0) - 10, Len: 60},
		{Addr: 4 * 2048, Len: 0}, // empty, and its frame would be outside
	})
	h := &lengths{}
	good, bad := s.deliver(h, &capture.Frame{})
	if good != 3 || bad != 3 {
		t.Fatalf("good %d, bad %d; want 3 and 3", good, bad)
	}
	want := []uint64{0, 3 * 2048, 2048}
	for i, a := range want {
		if s.free[i] != a {
			t.Errorf("free frame %d is %d, want %d", i, s.free[i], a)
		}
	}
	if len(h.data[1]) != 1500 || &h.data[1][0] != &s.umem[3*2048+256] {
		t.Error("frame data does not point at its place in the UMEM")
	}
	if _, n := s.rx.ready(64); n != 0 {
		t.Errorf("%d descriptors left on the ring", n)
	}
}

// FuzzDeliver feeds arbitrary descriptors, as a buggy kernel might produce them:
// nothing may panic, every frame handed over must lie inside the UMEM, and no more
// frames may come back than the UMEM has.
func FuzzDeliver(f *testing.F) {
	desc := func(addr uint64, n uint32) []byte {
		b := binary.LittleEndian.AppendUint64(nil, addr)
		return binary.LittleEndian.AppendUint32(b, n)
	}
	f.Add(desc(256, 60))
	f.Add(append(desc(0, 2048), desc(2048, 2048)...))
	f.Add(append(desc(7*2048+256, 1792), desc(8*2048, 1)...))
	f.Add(desc(^uint64(0), 2))
	f.Fuzz(func(t *testing.T, in []byte) {
		const frames = 8
		s := fakeSocket(frames, 16)
		var descs []unix.XDPDesc
		for len(in) >= 12 && len(descs) < 16 {
			descs = append(descs, unix.XDPDesc{
				Addr: binary.LittleEndian.Uint64(in),
				Len:  binary.LittleEndian.Uint32(in[8:]),
			})
			in = in[12:]
		}
		s.produce(descs)
		h := &lengths{}
		var good, bad uint32
		for {
			g, b := s.deliver(h, &capture.Frame{})
			if g+b == 0 {
				break
			}
			good, bad = good+g, bad+b
		}
		if int(good+bad) != len(descs) || len(h.data) != int(good) {
			t.Fatalf("%d descriptors, %d good, %d bad, %d handed over", len(descs), good,
				bad, len(h.data))
		}
		if len(s.free) > frames {
			t.Fatalf("%d frames returned from a UMEM of %d", len(s.free), frames)
		}
		lo := uintptr(unsafe.Pointer(&s.umem[0]))
		for _, d := range h.data {
			if len(d) == 0 {
				continue
			}
			p := uintptr(unsafe.Pointer(&d[0]))
			if p < lo || p+uintptr(len(d)) > lo+uintptr(len(s.umem)) {
				t.Fatal("frame data outside the UMEM")
			}
		}
		for _, a := range s.free {
			if a%2048 != 0 || a >= frames*2048 {
				t.Fatalf("free frame address %d is not a frame of the UMEM", a)
			}
		}
	})
}
