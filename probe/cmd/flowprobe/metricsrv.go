package main

import (
	"sync"

	"github.com/flowprobe/flowprobe/probe/afpacket"
	"github.com/flowprobe/flowprobe/probe/afxdp"
	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/metrics"
	"github.com/flowprobe/flowprobe/probe/pcapfile"
	"github.com/flowprobe/flowprobe/probe/xdpsource"
)

// sourceMetrics reads the counters of whichever source flowprobe runs.
func sourceMetrics(src capture.Source) metrics.Source {
	switch s := src.(type) {
	case *pcapfile.Source:
		return metrics.Pcap(s)
	case *afpacket.Source:
		return metrics.AFPacket(s)
	case *afxdp.Source:
		return metrics.AFXDP(s)
	case *xdpsource.Source:
		return metrics.XDP(s)
	}
	return metrics.Source{}
}

// outputList is every output the engine was ever given, in the order of
// engine.Stats.Exporters, for the metrics; a reload adds to it.
type outputList struct {
	mu  sync.Mutex
	all []metrics.Output
}

func (l *outputList) add(outs []metrics.Output) {
	l.mu.Lock()
	l.all = append(l.all, outs...)
	l.mu.Unlock()
}

func (l *outputList) list() []metrics.Output {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]metrics.Output(nil), l.all...)
}
