package packet

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/flowprobe/flowprobe/probe/capture"
)

const pcapDir = "../../testdata/pcap"

// traceReader is what pcapgo's pcap and pcapng readers have in common.
type traceReader interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	LinkType() layers.LinkType
}

// readTrace returns every frame of a trace file in testdata/pcap, pcap or pcapng.
func readTrace(t testing.TB, name string) []capture.Frame {
	t.Helper()
	f, err := os.Open(filepath.Join(pcapDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, err := br.Peek(4)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var r traceReader
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err = pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
	} else {
		r, err = pcapgo.NewReader(br)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var frames []capture.Frame
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return frames
		}
		if err != nil {
			t.Fatalf("%s: frame %d: %v", name, len(frames)+1, err)
		}
		frames = append(frames, capture.Frame{
			Data:      bytes.Clone(data),
			Timestamp: ci.Timestamp.UnixNano(),
			WireLen:   ci.Length,
			LinkType:  capture.LinkType(r.LinkType()),
		})
	}
}

// traceFiles lists the pcap and pcapng files of testdata/pcap.
func traceFiles(t testing.TB) []string {
	t.Helper()
	var names []string
	for _, pattern := range []string{"*.pcap", "*.pcapng"} {
		m, err := filepath.Glob(filepath.Join(pcapDir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m {
			names = append(names, filepath.Base(p))
		}
	}
	if len(names) == 0 {
		t.Fatalf("no trace files in %s", pcapDir)
	}
	return names
}
