package pcapfile

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// FuzzReader feeds arbitrary bytes through format detection and record reading. It
// must never panic, and whatever it delivers before an error must be well-formed.
// A pcap or pcapng file is also read as a mapping, which must deliver the same
// frames and end the same way.
func FuzzReader(f *testing.F) {
	for _, name := range []string{"ipfixprobe-dns.pcap", "ipfixprobe-vlan.pcapng",
		"zeek-linux-sll2.pcap", "tcpdump-ipv6-invalid-length.pcap"} {
		data, err := os.ReadFile(filepath.Join(testdataDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte{0x1f, 0x8b, 8, 0})
	f.Add([]byte{0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0})
	var ng ngBuilder
	ng.section(binary.BigEndian, 1)
	ng.iface(1, 16, ng.option(ngOptionTSResol, []byte{0x80 | 10}))
	ng.packet(ngPacketObsolete, 0, 1<<40, frameOf(14, 0), 14)
	ng.simple(20, frameOf(16, 1))
	f.Add(ng.b)
	var big ngBuilder // a last block longer than the prefetch distance
	big.section(binary.LittleEndian, 1)
	big.iface(1, 0)
	big.packet(ngEnhancedPacket, 0, 1, frameOf(prefetchDistance+100, 2), 9000)
	f.Add(big.b)

	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := newSource("fuzz.pcap", bytes.NewReader(data), int64(len(data)),
			Options{NoProgress: true})
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.pcap") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		h := &checkingHandler{t: t}
		err = s.Run(context.Background(), []capture.Handler{h})
		if err != nil && !strings.Contains(err.Error(), "fuzz.pcap: packet ") {
			t.Fatalf("error does not name the file and packet: %v", err)
		}
		if got := s.Stats().Frames; got != uint64(h.frames) {
			t.Fatalf("Stats says %d frames, handler saw %d", got, h.frames)
		}
		if isMappable(data) {
			checkMappedAgrees(t, data)
		}
	})
}

// checkMappedAgrees reads data with read calls and as a mapping, and fails unless
// both deliver the same frames and the same error.
func checkMappedAgrees(t *testing.T, data []byte) {
	read, readErr := newSource("fuzz.pcap", bytes.NewReader(data), int64(len(data)),
		Options{})
	mapped, mappedErr := newMappedSource("fuzz.pcap", heapMapping(data),
		bytes.NewReader(nil), Options{})
	if fmt.Sprint(readErr) != fmt.Sprint(mappedErr) {
		t.Fatalf("opening: read calls say %v, the mapping %v", readErr, mappedErr)
	}
	if readErr != nil {
		return
	}
	want, readErr := readSource(t, read)
	got, mappedErr := readSource(t, mapped)
	if fmt.Sprint(readErr) != fmt.Sprint(mappedErr) {
		t.Fatalf("reading: read calls say %v, the mapping %v", readErr, mappedErr)
	}
	if diff := sameFrames(got, want); diff != "" {
		t.Fatalf("the mapping and read calls differ: %s", diff)
	}
}

type checkingHandler struct {
	t      *testing.T
	frames int
}

func (c *checkingHandler) HandleFrame(f *capture.Frame) {
	c.frames++
	if _, ok := toCaptureLinkType(layers.LinkType(f.LinkType)); !ok {
		c.t.Fatalf("frame %d has link type %d", c.frames, f.LinkType)
	}
	if len(f.Data) > f.WireLen {
		c.t.Fatalf("frame %d: %d bytes captured of %d", c.frames, len(f.Data), f.WireLen)
	}
}

func (c *checkingHandler) Tick(int64) {}
