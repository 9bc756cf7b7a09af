package gen

import "encoding/binary"

// writeL4 writes the transport header of segment s into b with a zero checksum and
// returns the transport length (header and payload) and the IP protocol number.
// TCP sequence numbers advance past what the segment carries.
func (f *flowState) writeL4(b []byte, s segment) (int, byte) {
	switch f.kind {
	case kindTCP:
		return f.writeTCP(b, s), protoTCP
	case kindUDP:
		ports(b, s.side, f.cport, f.sport)
		binary.BigEndian.PutUint16(b[4:], uint16(udpLen+s.payload))
		b[6], b[7] = 0, 0
		return udpLen + s.payload, protoUDP
	}

	// Echo request and reply: ICMP types 8 and 0, ICMPv6 types 128 and 129.
	proto := byte(protoICMP)
	b[0] = [2]byte{8, 0}[s.side]
	if f.v6 {
		proto = protoICMPv6
		b[0] = 128 + s.side
	}
	b[1], b[2], b[3] = 0, 0, 0
	binary.BigEndian.PutUint16(b[4:], f.icmpID)
	binary.BigEndian.PutUint16(b[6:], s.icmpSeq)
	return icmpLen + s.payload, proto
}

func (f *flowState) writeTCP(b []byte, s segment) int {
	hdr := tcpLen
	if s.tcpFlags&tcpSyn != 0 {
		hdr += synOpts
	}
	ports(b, s.side, f.cport, f.sport)
	binary.BigEndian.PutUint32(b[4:], f.seq[s.side])
	var ack uint32
	if s.tcpFlags&tcpAck != 0 {
		ack = f.seq[1-s.side]
	}
	binary.BigEndian.PutUint32(b[8:], ack)
	b[12], b[13] = byte(hdr/4)<<4, s.tcpFlags
	binary.BigEndian.PutUint16(b[14:], 64240) // window
	b[16], b[17], b[18], b[19] = 0, 0, 0, 0   // checksum, urgent pointer

	if s.tcpFlags&tcpSyn != 0 {
		mss := uint16(mssIPv4)
		if f.v6 {
			mss = mssIPv6
		}
		b[20], b[21] = 2, 4 // MSS
		binary.BigEndian.PutUint16(b[22:], mss)
		b[24], b[25], b[26], b[27] = 1, 1, 4, 2 // NOP, NOP, SACK permitted
	}

	advance := uint32(s.payload)
	if s.tcpFlags&(tcpSyn|tcpFin) != 0 {
		advance++
	}
	f.seq[s.side] += advance
	return hdr + s.payload
}

// ports writes the source and destination ports of a packet from side.
func ports(b []byte, side uint8, client, server uint16) {
	if side == 1 {
		client, server = server, client
	}
	binary.BigEndian.PutUint16(b[0:], client)
	binary.BigEndian.PutUint16(b[2:], server)
}
