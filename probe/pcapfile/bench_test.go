package pcapfile

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// countingHandler counts frames and bytes and touches every frame's first byte.
type countingHandler struct {
	frames, bytes int
	sum           byte
}

func (c *countingHandler) HandleFrame(f *capture.Frame) {
	c.frames++
	c.bytes += len(f.Data)
	if len(f.Data) > 0 {
		c.sum += f.Data[0]
	}
}

func (c *countingHandler) Tick(int64) {}

func runFile(tb testing.TB, path string, h capture.Handler) {
	s, err := Open(path, Options{NoProgress: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	if err := s.Run(context.Background(), []capture.Handler{h}); err != nil {
		tb.Fatal(err)
	}
}

// TestNoAllocationPerFrame reads a 26,068-frame file and allows a fixed number of
// allocations for opening it, not one per frame.
func TestNoAllocationPerFrame(t *testing.T) {
	path := filepath.Join(testdataDir, "gopacket-cip.pcap")
	h := &countingHandler{}
	allocs := testing.AllocsPerRun(3, func() { runFile(t, path, h) })
	if allocs > 100 {
		t.Errorf("%.0f allocations to read 26068 frames", allocs)
	}
	pathNg := filepath.Join(testdataDir, "ndpi-alexa-app.pcapng")
	allocs = testing.AllocsPerRun(3, func() { runFile(t, pathNg, h) })
	if allocs > 100 {
		t.Errorf("%.0f allocations to read 3103 pcapng frames", allocs)
	}
}

// BenchmarkReadCIP reads gopacket-cip.pcap (26,068 frames, 3.4 MB) from the page
// cache and reports frames per second.
func BenchmarkReadCIP(b *testing.B) {
	path := filepath.Join(testdataDir, "gopacket-cip.pcap")
	h := &countingHandler{}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		runFile(b, path, h)
	}
	b.ReportMetric(float64(h.frames)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(float64(h.bytes)/b.Elapsed().Seconds()/1e6, "MB/s")
}
