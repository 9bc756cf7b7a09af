package packet

import (
	"encoding/binary"

	"github.com/flowprobe/flowprobe/probe/flow"
)

const (
	vxlanHeaderLen = 8
	greHeaderLen   = 4

	greChecksum = 0x8000
	greRouting  = 0x4000 // RFC 1701 source routing, obsolete
	greKey      = 0x2000
	greSequence = 0x1000
	greVersion  = 0x0007
)

// vxlan decapsulates the VXLAN header at the start of b and the Ethernet frame
// behind it. A header without the valid-VNI flag keeps the outer flow.
func (p *Parser) vxlan(b []byte, pkt *flow.Packet) {
	if len(b) < vxlanHeaderLen || b[0]&0x08 == 0 {
		p.stats.DecapsulationFailed++
		return
	}
	outer := *pkt
	p.enterTunnel(flow.TunnelVXLAN, binary.BigEndian.Uint32(b[4:])>>8, pkt)
	p.leaveTunnel(p.ethernet(b, vxlanHeaderLen, pkt), &outer, pkt)
}

// gre decapsulates the GRE header (RFC 2784 with the RFC 2890 key and sequence
// number) at the start of b. IPv4, IPv6 and transparent Ethernet bridging
// payloads are read; other payloads (ERSPAN, PPTP's enhanced GRE, WCCP) and
// headers with source routing keep the outer flow.
func (p *Parser) gre(b []byte, pkt *flow.Packet) {
	if len(b) < greHeaderLen {
		p.stats.DecapsulationFailed++
		return
	}
	flags := binary.BigEndian.Uint16(b)
	if flags&(greVersion|greRouting) != 0 {
		p.stats.DecapsulationFailed++
		return
	}
	off := greHeaderLen
	if flags&greChecksum != 0 {
		off += 4
	}
	var key uint32
	if flags&greKey != 0 {
		if len(b) < off+4 {
			p.stats.DecapsulationFailed++
			return
		}
		key = binary.BigEndian.Uint32(b[off:])
		off += 4
	}
	if flags&greSequence != 0 {
		off += 4
	}

	outer := *pkt
	p.enterTunnel(flow.TunnelGRE, key, pkt)
	r := Unsupported
	switch binary.BigEndian.Uint16(b[2:]) {
	case etherTypeIPv4:
		r = p.ipv4(b, off, pkt)
	case etherTypeIPv6:
		r = p.ipv6(b, off, pkt)
	case etherTypeTEB:
		r = p.ethernet(b, off, pkt)
	}
	p.leaveTunnel(r, &outer, pkt)
}

// enterTunnel records the tunnel in the key, keeps the outer addresses and clears
// the outer transport fields before the inner packet is read into pkt.
func (p *Parser) enterTunnel(t flow.TunnelType, id uint32, pkt *flow.Packet) {
	p.inTunnel = true
	pkt.TunnelType, pkt.TunnelID = t, id
	pkt.Tunnel = flow.Tunnel{SrcAddr: pkt.SrcAddr, DstAddr: pkt.DstAddr}
	pkt.SrcPort, pkt.DstPort, pkt.TCPFlags, pkt.ICMPTypeCode = 0, 0, 0, 0
}

// leaveTunnel keeps the inner flow packet when it was read, and otherwise puts
// the outer one back, so a tunnel packet is never lost to a bad payload.
func (p *Parser) leaveTunnel(r Reason, outer, pkt *flow.Packet) {
	if r == OK {
		p.stats.Decapsulated++
		return
	}
	*pkt = *outer
	p.stats.DecapsulationFailed++
}
