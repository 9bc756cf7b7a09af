package metrics

import (
	"sync"

	"github.com/flowprobe/flowprobe/bpf/xdpflow"
	"github.com/flowprobe/flowprobe/probe/packet"
	"github.com/flowprobe/flowprobe/probe/xdpsource"
)

// XDP reads the XDP source: the program's counters, the drains of its tables, the
// ring buffer and the AF_XDP sockets that take the first packets of flows. Frames
// received are those drained from the tables plus those the program did not add to a
// table (redirected to a socket, sent to the ring buffer, lost, or unparsed), so
// packets still waiting in a table for the next drain are not counted yet.
//
// The gauge flowprobe_xdp_table_entries is the mean number of entries (one flow on
// one CPU) a drain found, over the drains since the previous scrape: the occupancy of
// the tables at the moment they were swapped out.
func XDP(s interface{ Stats() xdpsource.Stats }) Source {
	var (
		mu                    sync.Mutex
		lastDrains, lastParts uint64
		occupancy             float64
	)
	return Source{Name: "xdp", Counters: func() (SourceCounters, error) {
		st := s.Stats()
		p := &st.Program

		mu.Lock()
		if st.Drains > lastDrains {
			occupancy = float64(st.Partials-lastParts) / float64(st.Drains-lastDrains)
			lastDrains, lastParts = st.Drains, st.Partials
		}
		gauge := occupancy
		mu.Unlock()

		return SourceCounters{
			Packets: st.Packets + p.NotAccounted(),
			Drops: map[string]uint64{
				"ring_lost":      p[xdpflow.CounterRingLost],
				"socket_dropped": st.Sockets.Undelivered(),
			},
			ParseFailures: map[string]uint64{
				packet.NotIP.String():       p[xdpflow.CounterNotIP],
				packet.Truncated.String():   p[xdpflow.CounterTruncated],
				packet.BadHeader.String():   p[xdpflow.CounterBadHeader],
				packet.Unsupported.String(): p[xdpflow.CounterUnsupported],
			},
			Extra: map[string]uint64{
				"table_full":     p[xdpflow.CounterTableFull],
				"l4_missing":     p[xdpflow.CounterL4Missing],
				"drains":         st.Drains,
				"partial_flows":  st.Partials,
				"ring_packets":   st.RingPackets,
				"redirected":     p[xdpflow.CounterRedirected],
				"no_socket":      p[xdpflow.CounterNoSocket],
				"socket_packets": st.Sockets.Received,
			},
			Gauges: map[string]float64{"table_entries": gauge},
		}, nil
	}}
}
