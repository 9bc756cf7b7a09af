package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/flowprobe/flowprobe/exporter/ipfix"
	"github.com/flowprobe/flowprobe/probe/engine"
	"github.com/flowprobe/flowprobe/trapout"
)

// Output names one exporter the engine was given and, for IPFIX and TRAP socket
// outputs, where to read their own counters. IPFIX and TRAP are nil for other kinds.
type Output struct {
	Name  string
	IPFIX interface{ Stats() ipfix.Stats }
	// TRAP must be safe to call while the output sends: the socket interfaces are,
	// the file and blackhole ones are not.
	TRAP interface{ Stats() trapout.OutputStats }
}

// Options says where a Collector reads its figures.
type Options struct {
	// Engine is the flow engine; required.
	Engine interface{ Stats() engine.Stats }
	// Source is the capture source; its metrics are left out when Counters is nil.
	Source Source
	// Outputs lists every exporter the engine was ever given, in the order of
	// engine.Stats.Exporters. It is called at every scrape, so it may grow as
	// exporters are swapped; nil means no output metrics.
	Outputs func() []Output
}

// Collector is a prometheus.Collector that reads the components' Stats at scrape
// time. It is unchecked (Describe sends nothing) because the metrics of the source
// depend on its kind.
type Collector struct {
	opts         Options
	sourceErrors atomic.Uint64
}

// NewCollector returns a Collector over opts.
func NewCollector(opts Options) *Collector { return &Collector{opts: opts} }

// NewRegistry returns a registry holding cs and the standard Go runtime and process
// collectors. More collectors may be registered later, even while it is served.
func NewRegistry(cs ...prometheus.Collector) *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(cs...)
	r.MustRegister(collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Describe sends nothing, which makes c an unchecked collector.
func (c *Collector) Describe(chan<- *prometheus.Desc) {}

// Collect reads every component once and sends its metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.opts.Engine.Stats()
	var src SourceCounters
	if c.opts.Source.Counters != nil {
		var err error
		src, err = c.opts.Source.Counters()
		if err != nil {
			c.sourceErrors.Add(1)
		}
	}
	e := emitter{ch: ch}
	collectEngine(&e, &st, src.ParseFailures)
	if c.opts.Source.Counters != nil {
		collectSource(&e, c.opts.Source.Name, &src, c.sourceErrors.Load())
	}
	if c.opts.Outputs != nil {
		collectOutputs(&e, st.Exporters, c.opts.Outputs())
	}
}

// emitter sends constant metrics, making their descriptors as it goes.
type emitter struct{ ch chan<- prometheus.Metric }

func (e *emitter) emit(kind prometheus.ValueType, name, help string, v float64,
	labels ...string) {
	var keys, values []string
	for i := 0; i+1 < len(labels); i += 2 {
		keys = append(keys, labels[i])
		values = append(values, labels[i+1])
	}
	desc := prometheus.NewDesc(name, help, keys, nil)
	e.ch <- prometheus.MustNewConstMetric(desc, kind, v, values...)
}

func (e *emitter) counter(name, help string, v uint64, labels ...string) {
	e.emit(prometheus.CounterValue, name, help, float64(v), labels...)
}

func (e *emitter) gauge(name, help string, v float64, labels ...string) {
	e.emit(prometheus.GaugeValue, name, help, v, labels...)
}
