package pipeline

import (
	"sync"
	"testing"

	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/packet"
	"github.com/flowprobe/flowprobe/tools/pcapgen/gen"
)

// benchTrace has the shape of the make bench trace: 2,000,000 packets in 100,000
// biflows, so that the cache's working set is the one the probes face there.
var benchTrace = sync.OnceValues(func() (*trace, error) {
	return loadTrace(gen.Config{Packets: 2_000_000, Flows: 100_000, Seed: 1, IPv6: 0.1})
})

func loadBenchTrace(b *testing.B) *trace {
	tr, err := benchTrace()
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

func reportPerPacket(b *testing.B, packets int) {
	total := float64(b.N) * float64(packets)
	b.ReportMetric(b.Elapsed().Seconds()*1e9/total, "ns/packet")
	b.ReportMetric(total/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkParse parses every frame of the trace; one op is the whole trace.
func BenchmarkParse(b *testing.B) {
	tr := loadBenchTrace(b)
	parser := packet.NewParser(packet.Options{})
	var pkt flow.Packet
	for b.Loop() {
		for i := range tr.frames {
			parser.Parse(&tr.frames[i], &pkt)
		}
	}
	reportPerPacket(b, len(tr.frames))
}

// BenchmarkParseAndCache runs the trace through the parser and a fresh cache, then
// flushes it; the difference from BenchmarkParse is what the cache costs.
func BenchmarkParseAndCache(b *testing.B) {
	tr := loadBenchTrace(b)
	for b.Loop() {
		b.StopTimer()
		var totals flowTotals
		cache := newCache(b, &totals)
		b.StartTimer()

		replay(b, tr, cache)
		if totals.records != tr.truth.Total.Flows {
			b.Fatalf("%d records for %d flows", totals.records, tr.truth.Total.Flows)
		}
	}
	reportPerPacket(b, len(tr.frames))
}
