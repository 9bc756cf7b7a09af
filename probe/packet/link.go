package packet

import (
	"encoding/binary"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// EtherTypes the parser follows.
const (
	etherTypeIPv4      = 0x0800
	etherTypeIPv6      = 0x86dd
	etherTypeVLAN      = 0x8100 // 802.1Q C-tag
	etherTypeQinQ      = 0x88a8 // 802.1ad S-tag
	etherTypeQinQOld   = 0x9100 // pre-standard S-tag, still common
	etherTypeMPLS      = 0x8847
	etherTypeMPLSMulti = 0x8848
	etherTypePPPoE     = 0x8864 // PPPoE session stage
	etherTypeTEB       = 0x6558 // transparent Ethernet bridging, in GRE

	// Values under 0x0600 are 802.3 lengths, not EtherTypes: LLC frames such as STP.
	minEtherType = 0x0600
)

// Walk bounds. They keep the work per frame constant, and the XDP program uses
// the same ones so that both paths key a frame alike.
const (
	// MaxVLANTags is the number of VLAN tags followed in one Ethernet header;
	// a frame with more is unsupported.
	MaxVLANTags = 4
	// MaxMPLSLabels is the number of MPLS labels walked to find the bottom of a
	// stack; a deeper stack is unsupported.
	MaxMPLSLabels = 8
)

// Header sizes.
const (
	ethernetLen  = 14
	sllLen       = 16
	sll2Len      = 20
	nullLen      = 4
	vlanTagLen   = 4
	mplsLabelLen = 4
	pppoeLen     = 8 // PPPoE header plus the 2-byte PPP protocol
)

// maxEthernetHeaders bounds nesting: an MPLS pseudowire or a decapsulated tunnel
// can carry a second Ethernet header, and that one a third; a frame with more is
// unsupported.
const maxEthernetHeaders = 3

// Linux packet types in the cooked headers.
const sllOutgoing = 4

// link dispatches on the frame's link type.
func (p *Parser) link(b []byte, lt capture.LinkType, pkt *flow.Packet) Reason {
	switch lt {
	case capture.LinkEthernet:
		return p.ethernet(b, 0, pkt)
	case capture.LinkRaw:
		return p.rawIP(b, 0, pkt)
	case capture.LinkNull:
		return p.null(b, pkt)
	case capture.LinkSLL:
		if len(b) < sllLen {
			return Truncated
		}
		if binary.BigEndian.Uint16(b) == sllOutgoing {
			pkt.Direction = flow.Egress
		}
		if binary.BigEndian.Uint16(b[4:]) == 6 {
			copy(pkt.SrcMAC[:], b[6:12])
		}
		return p.etherType(b, sllLen, binary.BigEndian.Uint16(b[14:]), pkt)
	case capture.LinkSLL2:
		if len(b) < sll2Len {
			return Truncated
		}
		if b[10] == sllOutgoing {
			pkt.Direction = flow.Egress
		}
		if b[11] == 6 {
			copy(pkt.SrcMAC[:], b[12:18])
		}
		return p.etherType(b, sll2Len, binary.BigEndian.Uint16(b), pkt)
	}
	return Unsupported
}

// null reads the BSD loopback header: an address family in the byte order of the
// machine that captured, which the trace does not record, so both are tried.
func (p *Parser) null(b []byte, pkt *flow.Packet) Reason {
	if len(b) < nullLen {
		return Truncated
	}
	fam := binary.LittleEndian.Uint32(b)
	if fam > 0xffff {
		fam = binary.BigEndian.Uint32(b)
	}
	switch fam {
	case 2: // AF_INET everywhere
		return p.ipv4(b, nullLen, pkt)
	case 10, 24, 28, 30: // AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, Darwin
		return p.ipv6(b, nullLen, pkt)
	}
	return NotIP
}

// rawIP reads an IP packet with no link header, telling the version from its
// first nibble.
func (p *Parser) rawIP(b []byte, off int, pkt *flow.Packet) Reason {
	if len(b) <= off {
		return Truncated
	}
	switch b[off] >> 4 {
	case 4:
		return p.ipv4(b, off, pkt)
	case 6:
		return p.ipv6(b, off, pkt)
	}
	return BadHeader
}

// ethernet reads an Ethernet II header at off. The MAC addresses of the last
// Ethernet header before the IP packet are the ones kept.
func (p *Parser) ethernet(b []byte, off int, pkt *flow.Packet) Reason {
	p.ethFrames++
	if p.ethFrames > maxEthernetHeaders {
		return Unsupported
	}
	if len(b) < off+ethernetLen {
		return Truncated
	}
	copy(pkt.DstMAC[:], b[off:off+6])
	copy(pkt.SrcMAC[:], b[off+6:off+12])
	return p.etherType(b, off+ethernetLen, binary.BigEndian.Uint16(b[off+12:]), pkt)
}

// etherType follows VLAN tags, MPLS and PPPoE from EtherType et, whose payload
// starts at off, down to the IP header.
func (p *Parser) etherType(b []byte, off int, et uint16, pkt *flow.Packet) Reason {
	for tags := 0; ; tags++ {
		switch et {
		case etherTypeIPv4:
			return p.ipv4(b, off, pkt)
		case etherTypeIPv6:
			return p.ipv6(b, off, pkt)
		case etherTypeVLAN, etherTypeQinQ, etherTypeQinQOld:
			if tags == MaxVLANTags {
				return Unsupported
			}
			if len(b) < off+vlanTagLen {
				return Truncated
			}
			if !p.vlanSeen {
				pkt.VLAN = binary.BigEndian.Uint16(b[off:]) & 0x0fff
				p.vlanSeen = true
			}
			et = binary.BigEndian.Uint16(b[off+2:])
			off += vlanTagLen
		case etherTypeMPLS, etherTypeMPLSMulti:
			return p.mpls(b, off, pkt)
		case etherTypePPPoE:
			return p.pppoe(b, off, pkt)
		default:
			return NotIP
		}
	}
}

// pppoe reads a PPPoE session header and its PPP protocol; only IPv4 and IPv6
// payloads are flow packets, PPP control protocols are not IP.
func (p *Parser) pppoe(b []byte, off int, pkt *flow.Packet) Reason {
	if len(b) < off+pppoeLen {
		return Truncated
	}
	if b[off] != 0x11 || b[off+1] != 0 { // version 1, type 1, code 0 (session data)
		return BadHeader
	}
	switch binary.BigEndian.Uint16(b[off+6:]) {
	case 0x0021:
		return p.ipv4(b, off+pppoeLen, pkt)
	case 0x0057:
		return p.ipv6(b, off+pppoeLen, pkt)
	}
	return NotIP
}

// mpls walks an MPLS label stack to its bottom and reads what follows. MPLS does
// not say what it carries, so the first nibble decides: 4 is IPv4, 6 is IPv6, and 0
// is the pseudowire control word of RFC 4385, behind which an Ethernet frame
// follows (an Ethernet pseudowire). Any other nibble, including a pseudowire
// without a control word, is unsupported, because telling such an Ethernet frame
// from IP would be a guess.
func (p *Parser) mpls(b []byte, off int, pkt *flow.Packet) Reason {
	for i := 0; ; i++ {
		if i == MaxMPLSLabels {
			return Unsupported
		}
		if len(b) < off+mplsLabelLen {
			return Truncated
		}
		bottom := b[off+2]&0x01 != 0
		off += mplsLabelLen
		if bottom {
			break
		}
	}
	if len(b) <= off {
		return Truncated
	}
	switch b[off] >> 4 {
	case 4:
		return p.ipv4(b, off, pkt)
	case 6:
		return p.ipv6(b, off, pkt)
	case 0:
		return p.ethernet(b, off+4, pkt)
	}
	return Unsupported
}
