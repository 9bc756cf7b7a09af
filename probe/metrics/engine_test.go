package metrics

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/flowprobe/flowprobe/probe/engine"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/pcapfile"
)

type discard struct{}

func (discard) Export([]flow.Record) error { return nil }
func (discard) Flush() error               { return nil }
func (discard) Close() error               { return nil }

// TestRealEngine runs a trace through a real engine and checks that the scrape
// agrees with the trace and the engine.
func TestRealEngine(t *testing.T) {
	src, err := pcapfile.Open(filepath.Join("..", "..", "testdata", "pcap",
		"ipfixprobe-mixed.pcap"), pcapfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	eng, err := engine.New(src, []flow.Exporter{discard{}}, engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := NewCollector(Options{Engine: eng, Source: Pcap(src), Outputs: func() []Output {
		return []Output{{Name: "text:table"}}
	}})
	srv, err := Listen("127.0.0.1:0", NewRegistry(c))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url := "http://" + srv.Addr().String() + "/metrics"

	if v := scrape(t, url)[`flowprobe_source_packets_total{source="pcap"}`]; v != 0 {
		t.Errorf("%v packets before the run", v)
	}
	if err := eng.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := scrape(t, url)
	st := eng.Stats()
	var exported uint64
	for r := range st.Flows {
		exported += st.Flows[r]
	}
	checks := []struct {
		name string
		want uint64
	}{
		{`flowprobe_source_packets_total{source="pcap"}`, src.Stats().Frames},
		{`flowprobe_source_bytes_total{source="pcap"}`, src.Stats().Bytes},
		{`flowprobe_parser_frames_total`, src.Stats().Frames},
		{`flowprobe_flows_created_total`, st.Cache.Created},
		{`flowprobe_flows_exported_total{end_reason="forced"}`, st.Flows[flow.EndForced]},
		{`flowprobe_output_records_total{output="text:table"}`, exported},
		{`flowprobe_exported_flow_packets_total`, st.Cache.Packets},
	}
	for _, ck := range checks {
		if ck.want == 0 || got[ck.name] != float64(ck.want) {
			t.Errorf("%s = %v, want %d (not 0)", ck.name, got[ck.name], ck.want)
		}
	}
}
