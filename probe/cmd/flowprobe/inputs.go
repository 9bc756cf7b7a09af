package main

import (
	"time"

	"github.com/flowprobe/flowprobe/probe/afpacket"
	"github.com/flowprobe/flowprobe/probe/afxdp"
	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/pcapfile"
)

// liveExportWait is how long a live capture waits for a full output queue; see
// engine.Config.DropAfter.
const liveExportWait = 2 * time.Second

// traceSweepPeriod is the flow cache's sweep period for trace files.
const traceSweepPeriod = 10 * time.Second

// liveModes are the values --mode accepts.
var liveModes = []string{"afpacket", "afxdp", "xdp"}

func openSource(o *options) (capture.Source, error) {
	if o.trace != "" {
		return pcapfile.Open(o.trace, pcapfile.Options{})
	}
	switch o.mode {
	case "afxdp":
		// One worker per RX queue of the interface.
		return afxdp.New(afxdp.Options{Interface: o.iface})
	case "xdp":
		return openXDP(o)
	}
	return afpacket.New(afpacket.Options{
		Interface:   o.iface,
		Workers:     o.workers,
		Filter:      o.filter,
		Promiscuous: o.promiscuous,
	})
}

func inputName(o *options) string {
	if o.trace != "" {
		return o.trace
	}
	return o.mode + ":" + o.iface
}
