package main

import (
	"github.com/rs/zerolog"

	"github.com/flowprobe/flowprobe/bpf/xdpflow"
	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/config"
	"github.com/flowprobe/flowprobe/probe/xdpsource"
)

// logSourceSummary logs, at info level, what the XDP program counted, so that a run's
// packets can be checked against the kernel's own figures: frames seen by the program
// are table_packets + redirected + table_full + ring_lost + unparsed, and the engine
// got table_packets, ring_packets and the frames the sockets received.
func logSourceSummary(log *zerolog.Logger, src capture.Source) {
	x, ok := src.(*xdpsource.Source)
	if !ok {
		return
	}
	st := x.Stats()
	p := &st.Program
	log.Info().Uint64("frames", st.Packets+p.NotAccounted()).
		Uint64("table_packets", st.Packets).Uint64("partial_flows", st.Partials).
		Uint64("drains", st.Drains).Uint64("ring_packets", st.RingPackets).
		Uint64("table_full", p[xdpflow.CounterTableFull]).
		Uint64("ring_lost", p[xdpflow.CounterRingLost]).
		Uint64("unparsed", p.Unparsed()).
		Uint64("redirected", p[xdpflow.CounterRedirected]).
		Uint64("no_socket", p[xdpflow.CounterNoSocket]).
		Uint64("socket_received", st.Sockets.Received).
		Uint64("socket_dropped", st.Sockets.Undelivered()).Msg("xdp")
}

// openXDP opens the XDP source, with AF_XDP sockets for the first packets of each
// flow when --xdp-first-packets asks for them.
func openXDP(o *options) (*xdpsource.Source, error) {
	return xdpsource.New(xdpsource.Options{Interface: o.iface,
		Program: xdpflow.Config{RedirectFirst: o.xdpFirst}})
}

// parseXDPFirst reads --xdp-first-packets: a count of packets, 0 for none, or "all".
func parseXDPFirst(v string, o *options) error {
	n, err := config.ParseXDPFirstPackets(v)
	o.xdpFirst = n
	return err
}
