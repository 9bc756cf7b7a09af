package text

import (
	"io"
	"testing"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// BenchmarkExport measures writing one record (ns/op is per record) in each format.
func BenchmarkExport(b *testing.B) {
	recs := sampleRecords()
	batch := make([]flow.Record, 0, 256)
	for len(batch) < cap(batch) {
		batch = append(batch, recs...)
	}
	for _, f := range []Format{Table, CSV, JSON} {
		b.Run(f.String(), func(b *testing.B) {
			e := New(io.Discard, f)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += len(batch) {
				if err := e.Export(batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
