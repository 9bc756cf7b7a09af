package metrics

import (
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/flowprobe/flowprobe/exporter/ipfix"
	"github.com/flowprobe/flowprobe/probe/afpacket"
	"github.com/flowprobe/flowprobe/probe/engine"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/packet"
	"github.com/flowprobe/flowprobe/trapout"
)

// TestScrapeValuesMove serves a collector over HTTP, scrapes it, changes every
// component's counters and scrapes again.
func TestScrapeValuesMove(t *testing.T) {
	eng := &fakeEngine{}
	afp := &fakeAFPacket{}
	ipfixOld, ipfixNew := &fakeIPFIX{}, &fakeIPFIX{}
	trap := &fakeTRAP{}
	outputs := []Output{
		{Name: "ipfix:127.0.0.1:4739", IPFIX: ipfixOld},
		{Name: "trap:u:flows", TRAP: trap},
	}
	c := NewCollector(Options{Engine: eng, Source: AFPacket(afp),
		Outputs: func() []Output { return outputs }})
	srv, err := Listen("127.0.0.1:0", NewRegistry(c))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url := "http://" + srv.Addr().String() + "/metrics"

	eng.set(func(st *engine.Stats) {
		st.Exporters = make([]engine.ExporterStats, 2)
	})
	before := scrape(t, url)
	if _, ok := before["go_goroutines"]; !ok {
		t.Error("the Go runtime metrics are missing")
	}

	eng.set(func(st *engine.Stats) {
		st.Parser.Frames = 100
		st.Parser.Reasons[packet.NotIP] = 3
		st.Parser.L4Missing = 2
		st.Cache.Packets = 97
		st.Cache.Created = 10
		st.Cache.Active = 4
		st.Cache.ClockSetBack = 1
		st.Flows[flow.EndIdle] = 5
		st.Flows[flow.EndLackOfResource] = 1
		st.FlowPackets, st.FlowBytes = 60, 6000
		st.PipelineQueued = 3
		st.Exporters[0] = engine.ExporterStats{Records: 6, Failed: 1, Errors: 1, Queued: 2}
		st.Exporters[1] = engine.ExporterStats{Records: 6, Dropped: 3}
	})
	afp.st = afpacket.Stats{Received: 100, Dropped: 7, FreezeQueue: 2}
	ipfixOld.st = ipfix.Stats{RecordsSent: 6, Connects: 2, Disconnects: 1, Connected: true,
		Buffered: 5}
	trap.st = trapout.OutputStats{Sent: 6, Skipped: 1, SkippedRecords: 2, Clients: 3}
	after := scrape(t, url)

	want := map[string]float64{
		`flowprobe_parser_frames_total`:                                        100,
		`flowprobe_parse_failures_total{reason="not-ip"}`:                      3,
		`flowprobe_parse_failures_total{reason="truncated"}`:                   0,
		`flowprobe_parser_events_total{event="l4_missing"}`:                    2,
		`flowprobe_cache_packets_total`:                                        97,
		`flowprobe_flows_created_total`:                                        10,
		`flowprobe_flows_active`:                                               4,
		`flowprobe_cache_clock_set_back_total`:                                 1,
		`flowprobe_flows_exported_total{end_reason="idle"}`:                    5,
		`flowprobe_flows_exported_total{end_reason="resources"}`:               1,
		`flowprobe_exported_flow_packets_total`:                                60,
		`flowprobe_exported_flow_bytes_total`:                                  6000,
		`flowprobe_pipeline_queue_batches`:                                     3,
		`flowprobe_source_packets_total{source="afpacket"}`:                    100,
		`flowprobe_source_drops_total{reason="ring_full",source="afpacket"}`:   7,
		`flowprobe_afpacket_ring_freezes_total`:                                2,
		`flowprobe_output_records_total{output="ipfix:127.0.0.1:4739"}`:        6,
		`flowprobe_output_failed_records_total{output="ipfix:127.0.0.1:4739"}`: 1,
		`flowprobe_output_queue_batches{output="ipfix:127.0.0.1:4739"}`:        2,
		`flowprobe_output_dropped_records_total{output="trap:u:flows"}`:        3,
		`flowprobe_ipfix_connects_total{output="ipfix:127.0.0.1:4739"}`:        2,
		`flowprobe_ipfix_connected{output="ipfix:127.0.0.1:4739"}`:             1,
		`flowprobe_ipfix_buffered_records{output="ipfix:127.0.0.1:4739"}`:      5,
		`flowprobe_trap_clients{output="trap:u:flows"}`:                        3,
		`flowprobe_trap_messages_sent_total{output="trap:u:flows"}`:            6,
		`flowprobe_trap_skipped_containers_total{output="trap:u:flows"}`:       1,
		`flowprobe_trap_skipped_records_total{output="trap:u:flows"}`:          2,
	}
	for k, v := range want {
		got, ok := after[k]
		if !ok {
			t.Errorf("%s missing from the scrape", k)
			continue
		}
		if got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
		if b := before[k]; b != 0 {
			t.Errorf("%s was %v before anything was counted", k, b)
		}
	}

	// A reload replaces the IPFIX output by one of the same name: its counters
	// continue from the old one's, its gauges are the new one's.
	outputs = append(outputs, Output{Name: "ipfix:127.0.0.1:4739", IPFIX: ipfixNew})
	ipfixNew.st = ipfix.Stats{RecordsSent: 4, Connects: 1}
	eng.set(func(st *engine.Stats) {
		st.Exporters[0].Queued = 0
		st.Exporters = append(st.Exporters, engine.ExporterStats{Records: 4, Queued: 1})
	})
	reloaded := scrape(t, url)
	for k, v := range map[string]float64{
		`flowprobe_output_records_total{output="ipfix:127.0.0.1:4739"}`:     10,
		`flowprobe_ipfix_records_sent_total{output="ipfix:127.0.0.1:4739"}`: 10,
		`flowprobe_ipfix_connects_total{output="ipfix:127.0.0.1:4739"}`:     3,
		`flowprobe_ipfix_connected{output="ipfix:127.0.0.1:4739"}`:          0,
		`flowprobe_output_queue_batches{output="ipfix:127.0.0.1:4739"}`:     1,
	} {
		if reloaded[k] != v {
			t.Errorf("after the reload %s = %v, want %v", k, reloaded[k], v)
		}
	}
}

func TestSourceErrorsCounted(t *testing.T) {
	eng := &fakeEngine{}
	afp := &fakeAFPacket{err: errors.New("getsockopt failed")}
	c := NewCollector(Options{Engine: eng, Source: AFPacket(afp)})
	srv, err := Listen("127.0.0.1:0", NewRegistry(c))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url := "http://" + srv.Addr().String() + "/metrics"
	scrape(t, url)
	got := scrape(t, url)[`flowprobe_source_stats_errors_total{source="afpacket"}`]
	if got != 2 {
		t.Errorf("stats errors = %v after two failed scrapes, want 2", got)
	}
}

// TestLint checks every metric against Prometheus' naming and help conventions.
func TestLint(t *testing.T) {
	eng := &fakeEngine{}
	eng.set(func(st *engine.Stats) { st.Exporters = make([]engine.ExporterStats, 2) })
	for _, src := range []Source{AFPacket(&fakeAFPacket{}), AFXDP(&fakeAFXDP{}),
		XDP(&fakeXDP{}), Pcap(&fakePcap{})} {
		c := NewCollector(Options{Engine: eng, Source: src, Outputs: func() []Output {
			return []Output{{Name: "a", IPFIX: &fakeIPFIX{}}, {Name: "b", TRAP: &fakeTRAP{}}}
		}})
		problems, err := testutil.CollectAndLint(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s: %s", src.Name, p.Metric, p.Text)
		}
	}
}

func TestListenTakenPort(t *testing.T) {
	c := NewCollector(Options{Engine: &fakeEngine{}})
	a, err := Listen("127.0.0.1:0", NewRegistry(c))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if b, err := Listen(a.Addr().String(), NewRegistry(c)); err == nil {
		b.Close()
		t.Fatal("a second server listened on a taken port")
	}
}
