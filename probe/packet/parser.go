package packet

import (
	"time"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// Default sizes used when an Options field is zero.
const (
	DefaultFragmentSlots   = 4096
	DefaultFragmentTimeout = 30 * time.Second
)

// Options configures a Parser. The zero value is usable: no decapsulation and a
// fragment table of DefaultFragmentSlots entries that forgets a datagram
// DefaultFragmentTimeout of packet time after its first fragment.
type Options struct {
	// Decapsulate makes GRE and VXLAN packets count as their inner flow, with the
	// tunnel type and the VNI or GRE key in the key and the outer addresses in
	// Packet.Tunnel. Without it the outer packet is the flow.
	Decapsulate bool
	// FragmentSlots is the number of first fragments remembered at once, rounded
	// up to a power of two of at least 4. The table takes about 64 bytes a slot.
	FragmentSlots int
	// FragmentTimeout is how long, in packet time, a first fragment's ports stay
	// available to the fragments that follow it.
	FragmentTimeout time.Duration
}

// Stats counts what a Parser did. Reasons is indexed by Reason and its entries add
// up to Frames; the other counters break down frames already counted there.
type Stats struct {
	Frames  uint64
	Reasons [NumReasons]uint64

	// L4Missing counts flow packets whose transport header could not be read
	// (cut short by the capture or the IP length, or behind more IPv6 extension
	// headers than the parser walks); their ports, flags and ICMP type are 0.
	L4Missing uint64
	// FragmentsAttached counts non-first fragments that got the ports of their
	// datagram's first fragment; FragmentsUnattached counts those that did not
	// (first fragment not seen, expired or evicted) and so have ports 0.
	FragmentsAttached   uint64
	FragmentsUnattached uint64
	// Decapsulated counts flow packets keyed by the inner packet of a tunnel.
	// DecapsulationFailed counts tunnel packets whose payload could not be read as
	// a flow packet and that were kept as the outer flow instead.
	Decapsulated        uint64
	DecapsulationFailed uint64
}

// Parser turns captured frames into flow packets. It is not safe for concurrent
// use: give each capture worker its own Parser. Parse allocates nothing.
type Parser struct {
	opts  Options
	frags fragmentTable
	stats Stats

	// State of the frame being parsed.
	wireLen   int
	vlanSeen  bool
	ethFrames int
	inTunnel  bool
}

// NewParser returns a Parser configured by opts, with its fragment table
// allocated up front.
func NewParser(opts Options) *Parser {
	if opts.FragmentSlots <= 0 {
		opts.FragmentSlots = DefaultFragmentSlots
	}
	if opts.FragmentTimeout <= 0 {
		opts.FragmentTimeout = DefaultFragmentTimeout
	}
	p := &Parser{opts: opts}
	p.frags.init(opts.FragmentSlots, int64(opts.FragmentTimeout))
	return p
}

// Stats returns the counters since the Parser was made.
func (p *Parser) Stats() Stats { return p.stats }

// Parse reads frame f into pkt and says what became of it. pkt is overwritten in
// every case, but only holds a flow packet when the result is OK. Parse keeps no
// reference to f.Data.
func (p *Parser) Parse(f *capture.Frame, pkt *flow.Packet) Reason {
	*pkt = flow.Packet{Timestamp: f.Timestamp, IfIndex: f.IfIndex}
	p.vlanSeen, p.ethFrames, p.inTunnel = false, 0, false
	p.wireLen = max(f.WireLen, len(f.Data))

	r := p.link(f.Data, f.LinkType, pkt)
	p.stats.Frames++
	p.stats.Reasons[r]++
	return r
}
