package metrics

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/flowprobe/flowprobe/exporter/ipfix"
	"github.com/flowprobe/flowprobe/probe/afpacket"
	"github.com/flowprobe/flowprobe/probe/engine"
	"github.com/flowprobe/flowprobe/trapout"
)

// scrape fetches url and returns every sample as "name{l1="v1",...}" -> value, the
// labels in the order the exposition gives them.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			out[sampleName(name, m)] = sampleValue(m)
		}
	}
	return out
}

func sampleName(name string, m *dto.Metric) string {
	if len(m.GetLabel()) == 0 {
		return name
	}
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"=\""+l.GetValue()+"\"")
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

// fakeEngine returns stats the test sets.
type fakeEngine struct {
	mu sync.Mutex
	st engine.Stats
}

func (f *fakeEngine) Stats() engine.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.st
	st.Exporters = append([]engine.ExporterStats(nil), f.st.Exporters...)
	return st
}

func (f *fakeEngine) set(change func(st *engine.Stats)) {
	f.mu.Lock()
	change(&f.st)
	f.mu.Unlock()
}

type fakeAFPacket struct {
	st  afpacket.Stats
	err error
}

func (f *fakeAFPacket) Stats() (afpacket.Stats, error) { return f.st, f.err }

type fakeIPFIX struct{ st ipfix.Stats }

func (f *fakeIPFIX) Stats() ipfix.Stats { return f.st }

type fakeTRAP struct{ st trapout.OutputStats }

func (f *fakeTRAP) Stats() trapout.OutputStats { return f.st }
