package trapcap_test

import (
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/flowprobe/flowprobe/trapout/trapcap"
)

// BenchmarkWrite writes 100-byte records (the size of a basic flow) to a file.
func BenchmarkWrite(b *testing.B) {
	w, err := trapcap.Create(filepath.Join(b.TempDir(), "bench.trapcap"), trapcap.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := w.SetFormat(helloX); err != nil {
		b.Fatal(err)
	}
	rec := make([]byte, 100)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Send(rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRead reads back a file of one million 100-byte records, round after round.
func BenchmarkRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.trapcap")
	w, err := trapcap.Create(path, trapcap.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := w.SetFormat(helloX); err != nil {
		b.Fatal(err)
	}
	rec := make([]byte, 100)
	for range 1000000 {
		if err := w.Send(rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	r, err := trapcap.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		msg, err := r.Next()
		if errors.Is(err, io.EOF) || err == nil && len(msg) == 0 {
			r.Close()
			if r, err = trapcap.Open(path); err != nil {
				b.Fatal(err)
			}
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	r.Close()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
