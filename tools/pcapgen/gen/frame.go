package gen

import "encoding/binary"

// Layout constants of the frames the generator writes.
const (
	// MaxFrame is the largest frame the generator writes, an Ethernet frame
	// without FCS.
	MaxFrame = 1514
	// MinFrame is the shortest: shorter frames are zero-padded as on the wire.
	MinFrame = 60

	ethLen      = 14
	ipv4Len     = 20
	ipv6Len     = 40
	tcpLen      = 20
	synOpts     = 8 // MSS, NOP, NOP, SACK permitted
	udpLen      = 8
	icmpLen     = 8
	protoTCP    = 6
	protoUDP    = 17
	protoICMP   = 1
	protoICMPv6 = 58
)

// The two routers whose link the trace is captured on: clients sit behind the first.
var (
	macClientSide = [6]byte{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}
	macServerSide = [6]byte{0x02, 0x00, 0x5e, 0x10, 0x00, 0x02}
)

// writeFrame lays out segment s of flow f into buf, with valid checksums, and
// returns the frame length and the IP total length. payloadOff is the even offset
// in the payload block that the payload is copied from.
func writeFrame(buf *[MaxFrame]byte, f *flowState, s segment, block *payloadBlock,
	payloadOff int) (frameLen, ipBytes int) {
	b := buf[:]
	src, dst := macClientSide, macServerSide
	if s.side == 1 {
		src, dst = dst, src
	}
	copy(b[0:6], dst[:])
	copy(b[6:12], src[:])

	ipHdr := ipv4Len
	if f.v6 {
		ipHdr = ipv6Len
	}
	l4 := b[ethLen+ipHdr:]
	l4Len, proto := f.writeL4(l4, s)
	hdrLen := l4Len - s.payload
	copy(l4[hdrLen:l4Len], block.data[payloadOff:payloadOff+s.payload])

	var pseudo uint64
	if f.v6 {
		binary.BigEndian.PutUint16(b[12:14], 0x86dd)
		pseudo = f.writeIPv6(b[ethLen:], s.side, proto, l4Len)
	} else {
		binary.BigEndian.PutUint16(b[12:14], 0x0800)
		pseudo = f.writeIPv4(b[ethLen:], s.side, proto, l4Len)
	}
	if proto == protoICMP {
		pseudo = 0 // ICMP for IPv4 has no pseudo-header
	}
	sum := pseudo + sumBytes(l4[:hdrLen]) + block.sum(payloadOff, s.payload)
	binary.BigEndian.PutUint16(l4[f.checksumOffset():], checksum(sum))

	frameLen = ethLen + ipHdr + l4Len
	if frameLen < MinFrame {
		clear(b[frameLen:MinFrame])
		frameLen = MinFrame
	}
	return frameLen, ipHdr + l4Len
}

// checksumOffset is where the transport checksum sits in the transport header.
func (f *flowState) checksumOffset() int {
	switch f.kind {
	case kindTCP:
		return 16
	case kindUDP:
		return 6
	}
	return 2
}

// putAddrs writes the source and destination addresses of a packet from side.
func (f *flowState) putAddrs(src, dst []byte, side uint8) {
	c, s := src, dst
	if side == 1 {
		c, s = dst, src
	}
	putHost(c, 0, f.client)
	putHost(s, 1, f.server)
}

// putHost writes the address of a client (group 0) or server (group 1) into a, whose
// length says the family. The ranges are those set aside for benchmarks:
// 198.18.0.0/16 and 198.19.0.0/16 (RFC 2544), 2001:2:0:1::/64 and 2001:2:0:2::/64
// (RFC 5180).
func putHost(a []byte, group uint8, host uint16) {
	if len(a) == 4 {
		a[0], a[1], a[2], a[3] = 198, 18+group, byte(host>>8), byte(host)
		return
	}
	clear(a)
	a[0], a[1], a[3], a[7] = 0x20, 0x01, 0x02, 1+group
	a[14], a[15] = byte(host>>8), byte(host)
}

// writeIPv4 writes the IPv4 header and returns the transport pseudo-header sum.
func (f *flowState) writeIPv4(b []byte, side uint8, proto byte, l4Len int) uint64 {
	total := ipv4Len + l4Len
	b[0], b[1] = 0x45, 0
	binary.BigEndian.PutUint16(b[2:], uint16(total))
	binary.BigEndian.PutUint16(b[4:], f.ipID[side])
	f.ipID[side]++
	binary.BigEndian.PutUint16(b[6:], 0x4000) // don't fragment
	b[8], b[9] = f.ttl[side], proto
	b[10], b[11] = 0, 0
	f.putAddrs(b[12:16], b[16:20], side)
	binary.BigEndian.PutUint16(b[10:], checksum(sumBytes(b[:ipv4Len])))
	return sumBytes(b[12:20]) + uint64(proto) + uint64(l4Len)
}

// writeIPv6 writes the IPv6 header and returns the transport pseudo-header sum.
func (f *flowState) writeIPv6(b []byte, side uint8, proto byte, l4Len int) uint64 {
	binary.BigEndian.PutUint32(b[0:], 6<<28|f.flowLabel)
	binary.BigEndian.PutUint16(b[4:], uint16(l4Len))
	b[6], b[7] = proto, f.ttl[side]
	f.putAddrs(b[8:24], b[24:40], side)
	return sumBytes(b[8:40]) + uint64(proto) + uint64(l4Len)
}
