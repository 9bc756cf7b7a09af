//go:build unix

package pcapfile

import (
	"context"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// wildHandler reads an inaccessible page at its third frame: a bug of its own.
type wildHandler struct {
	frames int
	page   []byte
	sum    byte
}

func (h *wildHandler) HandleFrame(*capture.Frame) {
	if h.frames++; h.frames == 3 {
		h.sum += *(*byte)(unsafe.Pointer(&h.page[0]))
	}
}

func (h *wildHandler) Tick(int64) {}

// TestMappedRunKeepsOtherFaults checks that only faults on the mapping become an
// error: a fault of the handler on other memory still panics out of Run.
func TestMappedRunKeepsOtherFaults(t *testing.T) {
	page, err := unix.Mmap(-1, 0, unix.Getpagesize(), unix.PROT_NONE,
		unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(page)
	s, _ := openMapped(t, "small.pcap", bigPcap(10, 4))
	defer func() {
		r := recover()
		if _, ok := r.(runtime.Error); !ok {
			t.Errorf("Run's panic was %v, want the handler's runtime error", r)
		}
	}()
	err = s.Run(context.Background(), []capture.Handler{&wildHandler{page: page}})
	t.Fatalf("Run returned %v instead of panicking", err)
}
