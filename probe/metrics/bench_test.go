package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowprobe/flowprobe/probe/engine"
)

// BenchmarkGather measures one scrape's worth of work for an AF_PACKET probe with
// four outputs, without the HTTP transport: what Prometheus costs flowprobe per
// scrape, next to nothing per packet.
func BenchmarkGather(b *testing.B) {
	eng := &fakeEngine{}
	eng.set(func(st *engine.Stats) { st.Exporters = make([]engine.ExporterStats, 4) })
	outs := []Output{{Name: "ipfix:a", IPFIX: &fakeIPFIX{}}, {Name: "ipfix:b",
		IPFIX: &fakeIPFIX{}}, {Name: "trap:u:x", TRAP: &fakeTRAP{}}, {Name: "text:csv"}}
	c := NewCollector(Options{Engine: eng, Source: AFPacket(&fakeAFPacket{}),
		Outputs: func() []Output { return outs }})
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
