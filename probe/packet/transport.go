package packet

import (
	"encoding/binary"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// IP protocol numbers the parser reads further.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoGRE    = 47
	protoICMPv6 = 58
	protoSCTP   = 132
)

// Fixed transport header sizes. The transport fields are read only when this much
// of the header was captured, so a cut header never yields half a key.
const (
	tcpHeaderLen  = 20
	udpHeaderLen  = 8
	sctpHeaderLen = 12
	icmpHeaderLen = 4 // type, code, checksum
)

// VXLANPort is the UDP destination port (IANA) that marks a VXLAN packet.
const VXLANPort = 4789

// transport sets the protocol and reads the transport header in b into pkt. It
// reports whether the transport fields were read: false for a header cut short,
// which is counted in Stats.L4Missing, and for protocols without ports, which
// are not. A tunnel packet is decapsulated here when the options ask for it,
// unless it is a fragment (the inner packet would be incomplete) or is itself
// inside a tunnel (one level is decapsulated).
func (p *Parser) transport(b []byte, proto uint8, fragment bool, pkt *flow.Packet) bool {
	pkt.Protocol = proto
	need := 0
	switch proto {
	case protoTCP:
		need = tcpHeaderLen
	case protoUDP:
		need = udpHeaderLen
	case protoSCTP:
		need = sctpHeaderLen
	case protoICMP, protoICMPv6:
		need = icmpHeaderLen
	case protoGRE:
		if p.opts.Decapsulate && !fragment && !p.inTunnel {
			p.gre(b, pkt)
		}
		return false
	default:
		return false
	}
	if len(b) < need {
		p.stats.L4Missing++
		return false
	}

	switch proto {
	case protoICMP, protoICMPv6:
		pkt.ICMPTypeCode = binary.BigEndian.Uint16(b)
		return true
	case protoTCP:
		pkt.TCPFlags = b[13]
	}
	pkt.SrcPort = binary.BigEndian.Uint16(b)
	pkt.DstPort = binary.BigEndian.Uint16(b[2:])
	if proto == protoUDP && pkt.DstPort == VXLANPort &&
		p.opts.Decapsulate && !fragment && !p.inTunnel {
		p.vxlan(b[udpHeaderLen:], pkt)
	}
	return true
}
