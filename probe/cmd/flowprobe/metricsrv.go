package main

import (
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
