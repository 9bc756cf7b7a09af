package pcapfile

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

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
// cache and reports frames per second, once through Source and once with a bare
// pcapgo loop over the same file, so the wrapper's own cost shows as their ratio.
func BenchmarkReadCIP(b *testing.B) {
	path := filepath.Join(testdataDir, "gopacket-cip.pcap")
	b.Run("source", func(b *testing.B) {
		h := &countingHandler{}
		b.ReportAllocs()
		for b.Loop() {
			runFile(b, path, h)
		}
		b.ReportMetric(float64(h.frames)/b.Elapsed().Seconds(), "frames/s")
		b.ReportMetric(float64(h.bytes)/b.Elapsed().Seconds()/1e6, "MB/s")
	})
	b.Run("bare-pcapgo", func(b *testing.B) {
		h := &countingHandler{}
		b.ReportAllocs()
		for b.Loop() {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			r, err := pcapgo.NewReader(bufio.NewReaderSize(f, readBufferSize))
			if err != nil {
				b.Fatal(err)
			}
			var frame capture.Frame
			for {
				data, ci, err := r.ZeroCopyReadPacketData()
				if err != nil {
					break
				}
				frame.Data, frame.Timestamp, frame.WireLen = data, ci.Timestamp.UnixNano(),
					ci.Length
				h.HandleFrame(&frame)
			}
			f.Close()
		}
		b.ReportMetric(float64(h.frames)/b.Elapsed().Seconds(), "frames/s")
		b.ReportMetric(float64(h.bytes)/b.Elapsed().Seconds()/1e6, "MB/s")
	})
}
