package pcapfile

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// bigPcap builds a pcap file of n Ethernet frames of 60 to 1514 bytes with seeded
// random contents.
func bigPcap(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0))
	ts := make([]int64, n)
	frames := make([][]byte, n)
	for i := range frames {
		ts[i] = 1_700_000_000_000_000_000 + int64(i)*1000
		f := make([]byte, 60+r.IntN(1455))
		for j := range f {
			f[j] = byte(r.Uint32())
		}
		frames[i] = f
	}
	return handPcap(binary.LittleEndian, false, 1, ts, frames)
}

// heapMapping stands for a mapping of data. Its forget overwrites the bytes it is
// given, so a reader that used them afterwards would read garbage.
func heapMapping(data []byte) *mapping {
	return &mapping{
		data:    bytes.Clone(data),
		release: func([]byte) error { return nil },
		forget: func(b []byte) error {
			for i := range b {
				b[i] = 0xff
			}
			return nil
		},
	}
}

// openMapped writes data to a file called name and opens it, failing unless Open
// mapped the file; the source is closed when the test ends.
func openMapped(t *testing.T, name string, data []byte) (*Source, string) {
	t.Helper()
	path := writeTemp(t, name, data)
	s, err := Open(path, Options{NoProgress: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if s.mapped == nil {
		t.Fatal("the file was not mapped")
	}
	return s, path
}

// readSource runs s to its end and returns the frames it delivered and Run's error.
func readSource(t *testing.T, s *Source) (*recorder, error) {
	t.Helper()
	defer s.Close()
	rec := &recorder{keep: true}
	err := s.Run(context.Background(), []capture.Handler{rec})
	return rec, err
}

// sameFrames reports the first difference between two runs, or "".
func sameFrames(a, b *recorder) string {
	if len(a.frames) != len(b.frames) {
		return fmt.Sprintf("%d frames against %d", len(a.frames), len(b.frames))
	}
	for i := range a.frames {
		fa, fb := a.frames[i], b.frames[i]
		if fa.Timestamp != fb.Timestamp || fa.WireLen != fb.WireLen ||
			!bytes.Equal(fa.Data, fb.Data) {
			return fmt.Sprintf("frame %d differs", i+1)
		}
	}
	return ""
}

// TestMappedMatchesRead reads a 20 MB file from a mapping whose forgotten pages turn
// to garbage, and with read calls: both must deliver the same frames, so the reader
// never goes back to the pages it has dropped.
func TestMappedMatchesRead(t *testing.T) {
	data := bigPcap(25_000, 1)
	if len(data) < 4*forgetStep {
		t.Fatalf("the file has %d bytes, too few to drop pages %d bytes at a time",
			len(data), forgetStep)
	}
	m := heapMapping(data)
	mapped, err := newMappedSource("big.pcap", m, bytes.NewReader(nil), Options{})
	if err != nil {
		t.Fatal(err)
	}
	read, err := newSource("big.pcap", bytes.NewReader(data), int64(len(data)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := readSource(t, mapped)
	if err != nil {
		t.Fatal(err)
	}
	want, err := readSource(t, read)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.frames) != 25_000 {
		t.Fatalf("read %d frames, want 25000", len(want.frames))
	}
	if diff := sameFrames(got, want); diff != "" {
		t.Fatalf("mapped and read runs differ: %s", diff)
	}
	if m.data[len(m.data)/2] != 0xff || m.data[0] != 0xff {
		t.Error("no pages were dropped behind the reader")
	}
}

// TestMappedReadsWhatIsAppended appends records to a file after it was opened (and
// mapped): they are read too, as they would be with read calls.
func TestMappedReadsWhatIsAppended(t *testing.T) {
	data := bigPcap(300, 2)
	whole := bigPcap(500, 2)
	if !bytes.Equal(whole[:len(data)], data) {
		t.Fatal("the longer file does not start with the shorter one")
	}
	s, path := openMapped(t, "growing.pcap", data)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(whole[len(data):]); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := readSource(t, s)
	if err != nil {
		t.Fatal(err)
	}
	want, err := readSource(t, mustSource(t, whole))
	if err != nil {
		t.Fatal(err)
	}
	if diff := sameFrames(got, want); diff != "" {
		t.Fatalf("the grown file read from its mapping differs: %s", diff)
	}
}

// mustSource reads data with read calls.
func mustSource(t *testing.T, data []byte) *Source {
	t.Helper()
	s, err := newSource("want.pcap", bytes.NewReader(data), int64(len(data)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// truncatingHandler cuts the file at path to its header once it has seen at frames.
type truncatingHandler struct {
	t      *testing.T
	path   string
	at     int
	frames int
}

func (h *truncatingHandler) HandleFrame(*capture.Frame) {
	h.frames++
	if h.frames == h.at {
		if err := os.Truncate(h.path, pcapFileHeaderLen); err != nil {
			h.t.Error(err)
		}
	}
}

func (h *truncatingHandler) Tick(int64) {}

// TestMappedFileTruncatedWhileRead truncates a mapped file under the reader: the
// pages behind the mapping vanish, and Run must end with an error naming the file
// instead of the process dying of SIGBUS.
func TestMappedFileTruncatedWhileRead(t *testing.T) {
	s, path := openMapped(t, "shrinking.pcap", bigPcap(20_000, 3))
	h := &truncatingHandler{t: t, path: path, at: 100}
	err := s.Run(context.Background(), []capture.Handler{h})
	if !errors.Is(err, errFileChanged) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Run returned %v, want an error naming %s saying it shrank", err, path)
	}
	if h.frames < 100 || h.frames >= 20_000 {
		t.Errorf("delivered %d frames of 20000, cut after 100", h.frames)
	}
	if got := s.Stats().Frames; got != uint64(h.frames) {
		t.Errorf("Stats says %d frames, the handler saw %d", got, h.frames)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
