package pcapfile

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pcapRecordStarts returns the offset of every record of a little-endian pcap file and
// the file's length after the last record.
func pcapRecordStarts(data []byte) []int {
	var starts []int
	for off := 24; off+16 <= len(data); {
		starts = append(starts, off)
		off += 16 + int(binary.LittleEndian.Uint32(data[off+8:]))
	}
	return starts
}

// pcapngPacketEnds returns the end offset of every packet block of a little-endian
// pcapng file.
func pcapngPacketEnds(data []byte) []int {
	var ends []int
	for off := 0; off+8 <= len(data); {
		typ := binary.LittleEndian.Uint32(data[off:])
		end := off + int(binary.LittleEndian.Uint32(data[off+4:]))
		if typ == 6 || typ == 3 || typ == 2 {
			ends = append(ends, end)
		}
		off = end
	}
	return ends
}

func TestTruncatedPcap(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(testdataDir, "ipfixprobe-dns.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	starts := pcapRecordStarts(orig)
	if len(starts) != 16 {
		t.Fatalf("found %d records, want 16", len(starts))
	}
	cases := []struct {
		name   string
		cut    int
		frames int // delivered before the end or the error
		bad    int // packet number in the error, 0 for a clean end
	}{
		{"in the data of packet 10", starts[9] + 16 + 5, 9, 10},
		{"in the header of packet 10", starts[9] + 7, 9, 10},
		{"after the header of packet 10", starts[9] + 16, 9, 10},
		{"one byte short of the end", len(orig) - 1, 15, 16},
		{"between packets 9 and 10", starts[9], 9, 0},
		{"right after the file header", 24, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, "cut.pcap", orig[:c.cut])
			rec, err := readAll(t, path, false)
			if len(rec.frames) != c.frames {
				t.Errorf("delivered %d frames, want %d", len(rec.frames), c.frames)
			}
			if c.bad == 0 {
				if err != nil {
					t.Errorf("clean cut gave %v", err)
				}
				return
			}
			want := fmt.Sprintf("%s: packet %d at offset %d: file is truncated", path, c.bad,
				starts[c.bad-1])
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v, want it to contain %q", err, want)
			}
		})
	}
}

func TestCorruptPcapRecord(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(testdataDir, "ipfixprobe-dns.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	data := append([]byte(nil), orig...)
	rec4 := pcapRecordStarts(data)[3]
	binary.LittleEndian.PutUint32(data[rec4+8:], 1<<30) // captured length
	path := writeTemp(t, "corrupt.pcap", data)
	got, err := readAll(t, path, false)
	if len(got.frames) != 3 {
		t.Errorf("delivered %d frames before the damaged record, want 3", len(got.frames))
	}
	want := fmt.Sprintf("%s: packet 4 at offset %d", path, rec4)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want it to contain %q", err, want)
	}
}

func TestTruncatedPcapng(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(testdataDir, "ndpi-alexa-app.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	ends := pcapngPacketEnds(orig)
	if len(ends) != 3103 {
		t.Fatalf("found %d packet blocks, want 3103", len(ends))
	}
	cases := []struct {
		name   string
		cut    int
		frames int
		bad    bool
	}{
		{"inside packet 2000", ends[1998] + 30, 1999, true},
		{"inside the block header of packet 2000", ends[1998] + 3, 1999, true},
		{"after packet 2000", ends[1999], 2000, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, "cut.pcapng", orig[:c.cut])
			rec, err := readAll(t, path, false)
			if len(rec.frames) != c.frames {
				t.Errorf("delivered %d frames, want %d", len(rec.frames), c.frames)
			}
			if !c.bad {
				if err != nil {
					t.Errorf("clean cut gave %v", err)
				}
				return
			}
			want := fmt.Sprintf("%s: packet %d at offset %d: file is truncated", path,
				c.frames+1, ends[c.frames-1])
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v, want it to contain %q", err, want)
			}
		})
	}
}
