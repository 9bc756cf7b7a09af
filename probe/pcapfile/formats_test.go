package pcapfile

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// handPcap builds a pcap file by hand: big-endian files cannot be made with pcapgo.
func handPcap(order binary.AppendByteOrder, nano bool, linkType uint32, ts []int64,
	frames [][]byte) []byte {
	magic := uint32(magicPcapMicro)
	if nano {
		magic = magicPcapNano
	}
	b := order.AppendUint32(nil, magic)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 4)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 65535)
	b = order.AppendUint32(b, linkType)
	for i, f := range frames {
		frac := ts[i] % 1e9
		if !nano {
			frac /= 1000
		}
		b = order.AppendUint32(b, uint32(ts[i]/1e9))
		b = order.AppendUint32(b, uint32(frac))
		b = order.AppendUint32(b, uint32(len(f)))
		b = order.AppendUint32(b, uint32(len(f)+10))
		b = append(b, f...)
	}
	return b
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPcapVariants(t *testing.T) {
	ts := []int64{1_700_000_000_123_456_789, 1_700_000_001_000_000_001, 1_700_000_005_999_999_999}
	frames := [][]byte{[]byte("first frame"), []byte("second"), bytes.Repeat([]byte{7}, 300)}
	cases := []struct {
		name  string
		order binary.AppendByteOrder
		nano  bool
	}{
		{"little-endian microseconds", binary.LittleEndian, false},
		{"little-endian nanoseconds", binary.LittleEndian, true},
		{"big-endian microseconds", binary.BigEndian, false},
		{"big-endian nanoseconds", binary.BigEndian, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := handPcap(c.order, c.nano, 101, ts, frames)
			rec, err := readAll(t, writeTemp(t, "v.pcap", file), true)
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.frames) != len(frames) {
				t.Fatalf("got %d frames, want %d", len(rec.frames), len(frames))
			}
			for i, f := range rec.frames {
				want := ts[i]
				if !c.nano {
					want -= want % 1000
				}
				if f.Timestamp != want || !bytes.Equal(f.Data, frames[i]) ||
					f.WireLen != len(frames[i])+10 || f.LinkType != capture.LinkRaw {
					t.Errorf("frame %d: %+v", i, f)
				}
			}
			// 1 s tick interval: first frame, then the one 5 s later, not the one
			// 0.88 s after the first.
			if len(rec.ticks) != 2 || rec.ticks[0] != rec.frames[0].Timestamp ||
				rec.ticks[1] != rec.frames[2].Timestamp {
				t.Errorf("ticks %v", rec.ticks)
			}
		})
	}
}

func TestPcapngMixedLinkTypes(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkTypeRaw})
	if err != nil {
		t.Fatal(err)
	}
	wifi, err := w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkType(105)})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1_700_000_000, 123_456_789)
	write := func(iface int, data string) {
		ci := gopacket.CaptureInfo{Timestamp: at, CaptureLength: len(data), Length: len(data),
			InterfaceIndex: iface}
		if err := w.WritePacket(ci, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	write(0, "ethernet frame")
	write(raw, "raw ip packet")
	write(0, "ethernet again")
	write(wifi, "802.11 frame")
	write(0, "never reached")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}

	path := writeTemp(t, "mixed.pcapng", buf.Bytes())
	rec, err := readAll(t, path, true)
	if err == nil || !strings.Contains(err.Error(), path) ||
		!strings.Contains(err.Error(), "packet 4") ||
		!strings.Contains(err.Error(), "unsupported link type 105") {
		t.Fatalf("want an error naming the file, packet 4 and link type 105, got %v", err)
	}
	want := []struct {
		data string
		lt   capture.LinkType
		ifx  uint32
	}{
		{"ethernet frame", capture.LinkEthernet, 0},
		{"raw ip packet", capture.LinkRaw, uint32(raw)},
		{"ethernet again", capture.LinkEthernet, 0},
	}
	if len(rec.frames) != len(want) {
		t.Fatalf("got %d frames before the error, want %d", len(rec.frames), len(want))
	}
	for i, w := range want {
		f := rec.frames[i]
		if string(f.Data) != w.data || f.LinkType != w.lt || f.IfIndex != w.ifx {
			t.Errorf("frame %d: %q link %d if %d, want %+v", i, f.Data, f.LinkType, f.IfIndex, w)
		}
	}
	// pcapgo writes nanosecond resolution; microsecond pcapng files are compared
	// with tshark in TestMatchesTshark.
	for i, f := range rec.frames {
		if f.Timestamp != at.UnixNano() {
			t.Errorf("frame %d at %d, want %d", i, f.Timestamp, at.UnixNano())
		}
	}
}

func TestOpenErrors(t *testing.T) {
	wifi := handPcap(binary.LittleEndian, false, 105, nil, nil)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"text", []byte("hello, this is not a capture\n"), "not a pcap or pcapng file"},
		{"short header", wifi[:10], "pcap file header"},
		{"unsupported link type", wifi, "unsupported link type 105"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, "bad.pcap", c.data)
			s, err := Open(path, Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not name the file and %q", err, c.want)
			}
		})
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.pcap"), Options{}); err == nil ||
		!strings.Contains(err.Error(), "missing.pcap") {
		t.Errorf("missing file: %v", err)
	}
}

func TestGzipCompressed(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(testdataDir, "ipfixprobe-mixed.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(orig)
	zw.Close()
	rec, err := readAll(t, writeTemp(t, "mixed.pcap.gz", buf.Bytes()), true)
	if err != nil {
		t.Fatal(err)
	}
	if got := rebuildPcap(t, orig[:24], rec); !bytes.Equal(got, orig) {
		t.Error("frames from the gzip-compressed file differ from the plain file")
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	s, err := Open(filepath.Join(testdataDir, "gopacket-cip.pcap"), Options{NoProgress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	h := &cancelAfter{n: 5000, cancel: cancel}
	if err := s.Run(ctx, []capture.Handler{h}); err != nil {
		t.Fatal(err)
	}
	// The context is checked every ctxCheckEvery frames.
	if h.seen < 5000 || h.seen > 5000+ctxCheckEvery {
		t.Errorf("handled %d frames after cancelling at 5000", h.seen)
	}
}

type cancelAfter struct {
	n, seen int
	cancel  func()
}

func (c *cancelAfter) HandleFrame(*capture.Frame) {
	c.seen++
	if c.seen == c.n {
		c.cancel()
	}
}

func (c *cancelAfter) Tick(int64) {}

func TestRunNeedsOneHandler(t *testing.T) {
	s, err := Open(filepath.Join(testdataDir, "ipfixprobe-dns.pcap"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Run(context.Background(), nil); err == nil {
		t.Error("Run without handlers succeeded")
	}
}

func TestReadFromPipe(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(testdataDir, "ipfixprobe-mixed.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.Write(orig)
		w.Close()
	}()
	defer r.Close()
	rec, err := readAll(t, fmt.Sprintf("/dev/fd/%d", r.Fd()), true)
	if err != nil {
		t.Fatal(err)
	}
	if got := rebuildPcap(t, orig[:24], rec); !bytes.Equal(got, orig) {
		t.Error("frames read from a pipe differ from the file")
	}
}
