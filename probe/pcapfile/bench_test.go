package pcapfile

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
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
			handAll(h, r.ZeroCopyReadPacketData)
			f.Close()
		}
		b.ReportMetric(float64(h.frames)/b.Elapsed().Seconds(), "frames/s")
		b.ReportMetric(float64(h.bytes)/b.Elapsed().Seconds()/1e6, "MB/s")
	})
}

// headerHandler reads a few bytes of every frame's headers, as the parser would.
type headerHandler struct {
	frames int
	sum    uint64
}

func (h *headerHandler) HandleFrame(f *capture.Frame) {
	h.frames++
	if len(f.Data) > 40 {
		h.sum += uint64(f.Data[12]) + uint64(f.Data[23]) + uint64(f.Data[36])
	}
}

func (h *headerHandler) Tick(int64) {}

// BenchmarkMappedVsRead reads a 128 MB pcap file, larger than the processor's caches,
// from the page cache, alternately from a mapping (as Open does) and with read calls,
// reading a few header bytes of every frame. It reports ns per frame of each and the
// time read calls take over the mapping's (read/mapped).
func BenchmarkMappedVsRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.pcap")
	if err := os.WriteFile(path, bigPcap(170_000, 7), 0o644); err != nil {
		b.Fatal(err)
	}
	readWith := func(mapped bool) (time.Duration, int) {
		var s *Source
		var err error
		if mapped {
			s, err = Open(path, Options{NoProgress: true})
		} else {
			var f *os.File
			if f, err = os.Open(path); err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			s, err = newSource(path, f, -1, Options{NoProgress: true})
		}
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		if mapped != (s.mapped != nil) {
			b.Fatalf("mapped is %v, want %v", s.mapped != nil, mapped)
		}
		h := &headerHandler{}
		start := time.Now()
		if err := s.Run(context.Background(), []capture.Handler{h}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start), h.frames
	}
	var tookMapped, tookRead time.Duration
	var frames int
	for b.Loop() {
		d, n := readWith(true)
		tookMapped += d
		frames += n
		d, _ = readWith(false)
		tookRead += d
	}
	b.ReportMetric(float64(tookMapped.Nanoseconds())/float64(frames), "mapped-ns/frame")
	b.ReportMetric(float64(tookRead.Nanoseconds())/float64(frames), "read-ns/frame")
	b.ReportMetric(float64(tookRead)/float64(tookMapped), "read/mapped")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkReadPcapng reads ndpi-alexa-app.pcapng (3,103 frames, 1.3 MB) from the page
// cache, alternately through Source and with a bare loop of gopacket's pcapgo, which
// Source used before it read pcapng itself. It reports ns per frame of each and
// pcapgo's time over Source's.
func BenchmarkReadPcapng(b *testing.B) {
	path := filepath.Join(testdataDir, "ndpi-alexa-app.pcapng")
	h := &countingHandler{}
	var tookSource, tookPcapgo time.Duration
	frames := 0
	for b.Loop() {
		start := time.Now()
		before := h.frames
		runFile(b, path, h)
		tookSource += time.Since(start)
		frames += h.frames - before

		start = time.Now()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := pcapgo.NewNgReader(bufio.NewReaderSize(f, readBufferSize),
			pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			b.Fatal(err)
		}
		handAll(h, r.ZeroCopyReadPacketData)
		f.Close()
		tookPcapgo += time.Since(start)
	}
	b.ReportMetric(float64(tookSource.Nanoseconds())/float64(frames), "source-ns/frame")
	b.ReportMetric(float64(tookPcapgo.Nanoseconds())/float64(frames), "pcapgo-ns/frame")
	b.ReportMetric(float64(tookPcapgo)/float64(tookSource), "pcapgo/source")
	b.ReportMetric(0, "ns/op")
}

// handAll hands h every packet next yields until it fails, as a bare loop over a
// pcapgo reader does.
func handAll(h capture.Handler, next func() ([]byte, gopacket.CaptureInfo, error)) {
	var frame capture.Frame
	for {
		data, ci, err := next()
		if err != nil {
			return
		}
		frame.Data, frame.Timestamp, frame.WireLen = data, ci.Timestamp.UnixNano(), ci.Length
		h.HandleFrame(&frame)
	}
}
