package metrics

import (
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowprobe/flowprobe/probe/engine"
)

// TestREADMEListsEveryMetric checks that the Metrics table of the README names every
// metric any kind of source and output produces.
func TestREADMEListsEveryMetric(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "\n## Metrics\n")
	if !ok {
		t.Fatal("README.md has no Metrics section")
	}
	eng := &fakeEngine{}
	eng.set(func(st *engine.Stats) { st.Exporters = make([]engine.ExporterStats, 2) })
	outs := []Output{{Name: "a", IPFIX: &fakeIPFIX{}}, {Name: "b", TRAP: &fakeTRAP{}}}
	for _, src := range []Source{AFPacket(&fakeAFPacket{}), AFXDP(&fakeAFXDP{}),
		XDP(&fakeXDP{}), Pcap(&fakePcap{})} {
		reg := prometheus.NewRegistry()
		reg.MustRegister(NewCollector(Options{Engine: eng, Source: src,
			Outputs: func() []Output { return outs }}))
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if !strings.Contains(table, "`"+f.GetName()+"`") {
				t.Errorf("%s (source %s) is not in the README's Metrics table", f.GetName(),
					src.Name)
			}
		}
	}
}
