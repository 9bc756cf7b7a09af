//go:build unix

package pcapfile

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
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

// TestOpenOfFileCutAfterMapping cuts a file to nothing between its mapping and the
// reading of its header, as a capture program restarting on the same name does:
// opening must fail with errFileChanged, not die of SIGBUS. The fault would kill the
// test binary, so the opening runs in a child process.
func TestOpenOfFileCutAfterMapping(t *testing.T) {
	if path := os.Getenv("PCAPFILE_CUT_CHILD"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		m := mapFile(f, st.Size())
		if err := os.Truncate(path, 0); err != nil {
			t.Fatal(err)
		}
		_, err = newMappedSource(path, m, bytes.NewReader(nil), Options{})
		if !errors.Is(err, errFileChanged) {
			t.Fatalf("opening gave %v, want errFileChanged", err)
		}
		return
	}
	path := writeTemp(t, "rotated.pcap", bigPcap(100, 5))
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenOfFileCutAfterMapping$")
	cmd.Env = append(os.Environ(), "PCAPFILE_CUT_CHILD="+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("opening in a child process: %v\n%s", err, out)
	}
}

// cuttingHandler truncates the file at path to size at its frame number at, and
// counts the frames it is given that are empty and at time 0.
type cuttingHandler struct {
	t      *testing.T
	path   string
	at     int
	size   int64
	frames int
	zeros  int
}

func (h *cuttingHandler) HandleFrame(f *capture.Frame) {
	if len(f.Data) == 0 && f.Timestamp == 0 {
		h.zeros++
	}
	if h.frames++; h.frames == h.at {
		if err := os.Truncate(h.path, h.size); err != nil {
			h.t.Error(err)
		}
	}
}

func (h *cuttingHandler) Tick(int64) {}

// TestRunOfFileCutInItsLastPage cuts a mapped file inside its last page, where no
// fault tells the reader and the lost bytes read as zeros: Run must end with
// errFileChanged before it hands out a zeroed record.
func TestRunOfFileCutInItsLastPage(t *testing.T) {
	const n, recordLen = 200, 16 + 100
	ts := make([]int64, n)
	frames := make([][]byte, n)
	for i := range frames {
		ts[i] = 1_700_000_000_000_000_000 + int64(i)*1000
		frames[i] = frameOf(100, byte(i))
	}
	data := handPcap(binary.LittleEndian, false, 1, ts, frames)
	size := int64(len(data))
	cut := size - 4*recordLen
	if size/int64(pageSize) != cut/int64(pageSize) {
		t.Fatalf("the cut at %d is not in the last page of a %d-byte file", cut, size)
	}
	s, path := openMapped(t, "cut.pcap", data)
	h := &cuttingHandler{t: t, path: path, at: 10, size: cut}
	err := s.Run(context.Background(), []capture.Handler{h})
	if !errors.Is(err, errFileChanged) || h.zeros != 0 {
		t.Errorf("Run gave %v after %d frames, %d of them zeros; want errFileChanged "+
			"and no zero frame", err, h.frames, h.zeros)
	}
}
