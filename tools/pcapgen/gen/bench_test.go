package gen

import (
	"io"
	"testing"
)

func BenchmarkNext(b *testing.B) {
	cfg := Config{Packets: 2_000_000, Flows: 100_000, Seed: 1, IPv6: 0.1}
	g, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var bytes int64
	b.ResetTimer()
	for b.Loop() {
		frame, _, ok := g.Next()
		if !ok {
			b.StopTimer()
			if g, err = New(cfg); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			continue
		}
		bytes += int64(len(frame))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(float64(bytes)/float64(b.N), "B/packet")
}

func BenchmarkWrite(b *testing.B) {
	cfg := Config{Packets: 200_000, Flows: 10_000, Seed: 1, IPv6: 0.1}
	for b.Loop() {
		if _, err := Write(io.Discard, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*cfg.Packets)/b.Elapsed().Seconds(), "packets/s")
}
