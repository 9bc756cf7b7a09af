package pcapfile

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// bigPcap builds a little-endian pcap file of n frames of random sizes and contents,
// enough of them that reading it crosses several read-ahead and drop-behind steps.
func bigPcap(n int) []byte {
	rng := rand.New(rand.NewPCG(8, 9))
	frames := make([][]byte, n)
	ts := make([]int64, n)
	for i := range frames {
		f := make([]byte, 60+rng.IntN(1500))
		for j := range f {
			f[j] = byte(rng.Uint32())
		}
		frames[i] = f
		ts[i] = 1_700_000_000_000_000_000 + int64(i)*1000
	}
	return handPcap(binary.LittleEndian, false, 1, ts, frames)
}

// TestMappedMatchesRead reads a large pcap file mapped, as Open does, and through a
// plain reader, and wants the same frames, data included, and the same ticks.
func TestMappedMatchesRead(t *testing.T) {
	data := bigPcap(30_000)
	if len(data) < 2*dropBehind+populateAhead {
		t.Fatalf("the test file has %d bytes, too few to cross a drop-behind step",
			len(data))
	}
	path := writeTemp(t, "big.pcap", data)

	mapped, err := Open(path, Options{NoProgress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer mapped.Close()
	if mapped.mapped == nil {
		t.Fatal("Open read a regular pcap file instead of mapping it")
	}
	gotMapped := &recorder{keep: true}
	if err := mapped.Run(context.Background(), []capture.Handler{gotMapped}); err != nil {
		t.Fatalf("mapped: %v", err)
	}

	read, err := newSource(path, bytes.NewReader(data), int64(len(data)),
		Options{NoProgress: true})
	if err != nil {
		t.Fatal(err)
	}
	gotRead := &recorder{keep: true}
	if err := read.Run(context.Background(), []capture.Handler{gotRead}); err != nil {
		t.Fatalf("read: %v", err)
	}

	if len(gotMapped.frames) != 30_000 {
		t.Fatalf("mapped: %d frames, want 30000", len(gotMapped.frames))
	}
	if !reflect.DeepEqual(gotMapped, gotRead) {
		t.Error("the mapped file gave other frames or ticks than the file read")
	}
	if got := mapped.readBytes(); got != int64(len(data)) {
		t.Errorf("progress says %d bytes read of %d", got, len(data))
	}
}

// TestMappedFileShrinks cuts a mapped file short while it is open: reading the
// pages that are gone must end Run with an error, not kill the process.
func TestMappedFileShrinks(t *testing.T) {
	data := bigPcap(3000)
	path := writeTemp(t, "shrinking.pcap", data)
	s, err := Open(path, Options{NoProgress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.mapped == nil {
		t.Fatal("Open read a regular pcap file instead of mapping it")
	}
	if err := os.Truncate(path, 4096); err != nil {
		t.Fatal(err)
	}
	err = s.Run(context.Background(), []capture.Handler{&recorder{}})
	if err == nil || !strings.Contains(err.Error(), "shrank") {
		t.Fatalf("Run on a file cut short under it: %v, want an error saying it shrank", err)
	}
}

// TestMapOnlyClassicPcap checks that files of other formats are read, not mapped.
func TestMapOnlyClassicPcap(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want bool
	}{
		{"pcap", bigPcap(3), true},
		{"pcapng", []byte("\x0a\x0d\x0d\x0a" + strings.Repeat("\x00", 40)), false},
		{"gzip", []byte("\x1f\x8b\x08\x00" + strings.Repeat("\x00", 40)), false},
		{"shorter than a header", []byte("\xd4\xc3\xb2\xa1"), false},
	}
	for _, c := range cases {
		f, err := os.Open(writeTemp(t, "f", c.data))
		if err != nil {
			t.Fatal(err)
		}
		m := mapPcap(f, int64(len(c.data)))
		if (m != nil) != c.want {
			t.Errorf("%s: mapped %v, want %v", c.name, m != nil, c.want)
		}
		if m != nil {
			if err := unmap(m); err != nil {
				t.Error(err)
			}
		}
		f.Close()
	}
}
