package metrics

import (
	"github.com/flowprobe/flowprobe/probe/afpacket"
	"github.com/flowprobe/flowprobe/probe/afxdp"
	"github.com/flowprobe/flowprobe/probe/pcapfile"
)

// SourceCounters is what a capture source reports, in one shape for every kind.
type SourceCounters struct {
	// Packets is the number of frames the source received.
	Packets uint64
	// Bytes is the number of bytes captured; HasBytes says whether the source counts
	// them at all.
	Bytes    uint64
	HasBytes bool
	// Drops counts frames lost before flowprobe could read them, by reason.
	Drops map[string]uint64
	// ParseFailures counts frames that were no flow packet, by packet.Reason name,
	// for sources that parse outside the engine (the XDP program). They add to the
	// engine parser's counts.
	ParseFailures map[string]uint64
	// Extra holds counters particular to the kind of source, exposed as
	// flowprobe_<source>_<name>_total.
	Extra map[string]uint64
	// Gauges holds values particular to the kind of source that go up and down,
	// exposed as flowprobe_<source>_<name>.
	Gauges map[string]float64
}

// Source reads a capture source's counters. Name labels its metrics (afpacket,
// afxdp, xdp, pcap); Counters is called at every scrape.
type Source struct {
	Name     string
	Counters func() (SourceCounters, error)
}

// AFPacket reads an AF_PACKET source: frames received and frames the kernel dropped
// because a ring was full.
func AFPacket(s interface {
	Stats() (afpacket.Stats, error)
}) Source {
	return Source{Name: "afpacket", Counters: func() (SourceCounters, error) {
		st, err := s.Stats()
		return SourceCounters{
			Packets: st.Received,
			Drops:   map[string]uint64{"ring_full": st.Dropped},
			Extra:   map[string]uint64{"ring_freezes": st.FreezeQueue},
		}, err
	}}
}

// AFXDP reads an AF_XDP source: frames received, frames the kernel could not deliver
// (no UMEM frame to put them in, or the RX ring full), and invalid descriptors.
func AFXDP(s interface{ Stats() (afxdp.Stats, error) }) Source {
	return Source{Name: "afxdp", Counters: func() (SourceCounters, error) {
		st, err := s.Stats()
		return SourceCounters{
			Packets: st.Received,
			Drops: map[string]uint64{
				"no_umem_frame": st.Dropped,
				"rx_ring_full":  st.RxRingFull,
				"invalid_descs": st.InvalidDescs,
				"bad_rx_descs":  st.BadDescs,
			},
			Extra: map[string]uint64{
				"fill_ring_empty": st.FillRingEmpty,
				"wakeups":         st.Wakeups,
			},
		}, err
	}}
}

// Pcap reads a trace file source: frames and captured bytes read.
func Pcap(s interface{ Stats() pcapfile.Stats }) Source {
	return Source{Name: "pcap", Counters: func() (SourceCounters, error) {
		st := s.Stats()
		return SourceCounters{Packets: st.Frames, Bytes: st.Bytes, HasBytes: true}, nil
	}}
}
