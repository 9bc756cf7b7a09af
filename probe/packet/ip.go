package packet

import (
	"encoding/binary"

	"github.com/flowprobe/flowprobe/probe/flow"
)

const (
	ipv4MinHeaderLen = 20
	ipv6HeaderLen    = 40
)

// MaxIPv6ExtHeaders bounds the IPv6 extension-header walk, as the XDP verifier
// needs a bounded loop. A packet with more is still a flow packet, with the next
// header left unwalked as its protocol and ports 0.
const MaxIPv6ExtHeaders = 8

// IPv6 extension headers the parser walks through.
const (
	ipv6HopByHop = 0
	ipv6Routing  = 43
	ipv6Fragment = 44
	ipv6AH       = 51
	ipv6DestOpts = 60
)

// ipv4 reads an IPv4 header at off and what it carries. The L4 header is read
// only within the total length the header claims, so Ethernet padding is never
// taken for a transport header.
func (p *Parser) ipv4(b []byte, off int, pkt *flow.Packet) Reason {
	if len(b) < off+ipv4MinHeaderLen {
		return Truncated
	}
	h := b[off:]
	if h[0]>>4 != 4 {
		return BadHeader
	}
	hlen := int(h[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(h[2:]))
	if total == 0 {
		total = p.bigPacketLen(off)
	}
	if hlen < ipv4MinHeaderLen || total < hlen {
		return BadHeader
	}
	if len(h) < hlen {
		return Truncated
	}

	pkt.IPVersion = 4
	pkt.IPBytes = uint32(total)
	setIPv4(&pkt.SrcAddr, h[12:16])
	setIPv4(&pkt.DstAddr, h[16:20])
	proto := h[9]
	l4 := h[hlen:min(len(h), total)]

	frag := binary.BigEndian.Uint16(h[6:])
	fragOffset, more := frag&0x1fff, frag&0x2000 != 0
	if fragOffset == 0 && !more {
		p.transport(l4, proto, false, pkt)
		return OK
	}
	id := uint32(binary.BigEndian.Uint16(h[4:]))
	p.fragment(l4, proto, id, fragOffset == 0, pkt)
	return OK
}

// bigPacketLen returns the length of an IP packet at off whose length field is 0
// because the packet is larger than the field can say: Linux BIG TCP hands such
// packets (GRO and TSO beyond 64 KiB) to packet sockets, and an IPv6 jumbogram
// looks the same. The length is then what the frame's wire length leaves from off,
// when that exceeds 64 KiB; otherwise, or inside a tunnel, whose offsets are
// relative to its payload, it returns 0 and the field is taken as it is.
func (p *Parser) bigPacketLen(off int) int {
	if n := p.wireLen - off; n > 0xffff && !p.inTunnel {
		return n
	}
	return 0
}

// setIPv4 stores a 4-byte address in the IPv4-mapped IPv6 form flow.Key uses.
// It writes dst in three word stores: building the array elsewhere and copying
// it made the CPU stall on a 16-byte load of freshly stored single bytes.
func setIPv4(dst *[16]byte, a []byte) {
	binary.LittleEndian.PutUint64(dst[0:], 0)
	binary.BigEndian.PutUint32(dst[8:], 0x0000ffff)
	binary.LittleEndian.PutUint32(dst[12:], binary.LittleEndian.Uint32(a))
}

// ipv6 reads an IPv6 header at off, walks its extension headers and reads the
// transport header behind them. The walk stops after MaxIPv6ExtHeaders headers,
// or when the capture or the payload length ends inside one; the packet is then
// still a flow packet, with the pending next-header value as its protocol and
// ports 0. Headers not listed above (ESP, mobility, HIP, shim6, no-next-header)
// end the walk and become the protocol.
func (p *Parser) ipv6(b []byte, off int, pkt *flow.Packet) Reason {
	if len(b) < off+ipv6HeaderLen {
		return Truncated
	}
	h := b[off:]
	if h[0]>>4 != 6 {
		return BadHeader
	}
	plen := int(binary.BigEndian.Uint16(h[4:]))
	if plen == 0 {
		plen = max(p.bigPacketLen(off)-ipv6HeaderLen, 0)
	}
	pkt.IPVersion = 6
	pkt.IPBytes = uint32(ipv6HeaderLen + plen)
	copy(pkt.SrcAddr[:], h[8:24])
	copy(pkt.DstAddr[:], h[24:40])

	end := min(len(h), ipv6HeaderLen+plen)
	pos := ipv6HeaderLen
	next := h[6]
	var fragID uint32
	firstFragment := false
	for i := 0; ; i++ {
		if !isIPv6ExtHeader(next) {
			break
		}
		if i == MaxIPv6ExtHeaders || pos+8 > end {
			pkt.Protocol = next
			p.stats.L4Missing++
			return OK
		}
		e := h[pos:end]
		hdrLen := (int(e[1]) + 1) * 8
		switch next {
		case ipv6AH:
			hdrLen = (int(e[1]) + 2) * 4
		case ipv6Fragment:
			hdrLen = 8
			fragOffset := binary.BigEndian.Uint16(e[2:]) >> 3
			more := e[3]&0x01 != 0
			if fragOffset != 0 {
				p.fragment(nil, e[0], binary.BigEndian.Uint32(e[4:]), false, pkt)
				return OK
			}
			if more {
				firstFragment = true
				fragID = binary.BigEndian.Uint32(e[4:])
			}
		}
		next = e[0]
		pos += hdrLen
	}

	l4 := h[min(pos, end):end]
	if firstFragment {
		p.fragment(l4, next, fragID, true, pkt)
		return OK
	}
	p.transport(l4, next, false, pkt)
	return OK
}

func isIPv6ExtHeader(next uint8) bool {
	switch next {
	case ipv6HopByHop, ipv6Routing, ipv6Fragment, ipv6AH, ipv6DestOpts:
		return true
	}
	return false
}
