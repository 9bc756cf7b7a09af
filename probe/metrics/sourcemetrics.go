package metrics

import (
	"maps"
	"slices"
)

// extraHelp documents the counters and gauges particular to one kind of source.
var extraHelp = map[string]string{
	"afpacket_ring_freezes": "Times an AF_PACKET ring was full when a frame arrived.",
	"afxdp_fill_ring_empty": "Times the kernel found an AF_XDP fill ring empty.",
	"afxdp_wakeups":         "System calls made to wake the kernel for an AF_XDP fill ring.",
	"xdp_table_full": "Frames the XDP program sent to the ring buffer because its " +
		"flow table was full.",
	"xdp_l4_missing": "Flow packets the XDP program counted without a transport header.",
	"xdp_drains":     "Swaps and reads of the XDP flow tables.",
	"xdp_partial_flows": "Table entries (one flow on one CPU) read from the XDP " +
		"flow tables.",
	"xdp_ring_packets": "Frames read from the XDP ring buffer.",
	"xdp_redirected": "Frames the XDP program handed to an AF_XDP socket (first " +
		"packets of flows).",
	"xdp_no_socket": "Frames meant for an AF_XDP socket that found none on their " +
		"queue and were counted in the tables instead.",
	"xdp_socket_packets": "Frames received from the XDP program's AF_XDP sockets.",
	"xdp_table_entries": "Mean entries an XDP table held when swapped out, over the " +
		"drains since the previous scrape.",
}

// collectSource sends a source's counters; statsErrors counts failed reads.
func collectSource(e *emitter, name string, s *SourceCounters, statsErrors uint64) {
	e.counter("flowprobe_source_packets_total", "Frames the capture source received.",
		s.Packets, "source", name)
	if s.HasBytes {
		e.counter("flowprobe_source_bytes_total", "Bytes the capture source captured.",
			s.Bytes, "source", name)
	}
	for _, reason := range slices.Sorted(maps.Keys(s.Drops)) {
		e.counter("flowprobe_source_drops_total",
			"Frames lost before flowprobe could read them, by source and reason.",
			s.Drops[reason], "source", name, "reason", reason)
	}
	e.counter("flowprobe_source_stats_errors_total",
		"Scrapes that could not read all of the capture source's counters.",
		statsErrors, "source", name)
	for _, k := range slices.Sorted(maps.Keys(s.Extra)) {
		key := name + "_" + k
		e.counter("flowprobe_"+key+"_total", help(key), s.Extra[k])
	}
	for _, k := range slices.Sorted(maps.Keys(s.Gauges)) {
		key := name + "_" + k
		e.gauge("flowprobe_"+key, help(key), s.Gauges[k])
	}
}

func help(key string) string {
	if h, ok := extraHelp[key]; ok {
		return h
	}
	return "Counter of the capture source."
}
