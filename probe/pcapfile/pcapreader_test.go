package pcapfile

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// TestReadsAnyChunking feeds files through readers that return data in awkward pieces
// and expects exactly the frames of the plain file.
func TestReadsAnyChunking(t *testing.T) {
	mixed, err := os.ReadFile(filepath.Join(testdataDir, "ipfixprobe-mixed.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	// Records larger than the initial 4 KiB buffer make it grow.
	big := handPcap(binary.BigEndian, true, 1, []int64{1, 2, 3},
		[][]byte{bytes.Repeat([]byte{1}, 70000), []byte("small"), bytes.Repeat([]byte{2}, 9000)})

	wrappers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"one byte at a time", iotest.OneByteReader},
		{"half of each request", iotest.HalfReader},
		{"EOF with the last data", iotest.DataErrReader},
	}
	for _, file := range []struct {
		name string
		data []byte
	}{{"mixed", mixed}, {"big records", big}} {
		for _, w := range wrappers {
			t.Run(file.name+"/"+w.name, func(t *testing.T) {
				s, err := newSource("chunked.pcap", w.wrap(bytes.NewReader(file.data)), 0,
					Options{NoProgress: true})
				if err != nil {
					t.Fatal(err)
				}
				rec := &recorder{keep: true}
				if err := s.Run(context.Background(), []capture.Handler{rec}); err != nil {
					t.Fatal(err)
				}
				if got := rebuildPcap(t, file.data[:24], rec); !bytes.Equal(got, file.data) {
					t.Error("frames differ from the file")
				}
			})
		}
	}
}

var errDisk = errors.New("input/output error")

func TestReadErrorIsReported(t *testing.T) {
	mixed, err := os.ReadFile(filepath.Join(testdataDir, "ipfixprobe-mixed.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	// The first 1000 bytes come through, then the reader fails as a disk would.
	r := io.MultiReader(bytes.NewReader(mixed[:1000]), iotest.ErrReader(errDisk))
	s, err := newSource("failing.pcap", r, 0, Options{NoProgress: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	err = s.Run(context.Background(), []capture.Handler{rec})
	if !errors.Is(err, errDisk) {
		t.Fatalf("Run returned %v, want the read error", err)
	}
	if len(rec.frames) == 0 {
		t.Error("no frame delivered before the read error")
	}
}
