package gen

import "math/rand/v2"

// segment is what a flow sends next, before it is laid out as a frame.
type segment struct {
	side     uint8 // 0 client, 1 server
	payload  int   // bytes after the transport header
	tcpFlags uint8
	icmpSeq  uint16
}

// TCP flag bits.
const (
	tcpFin = 0x01
	tcpSyn = 0x02
	tcpRst = 0x04
	tcpPsh = 0x08
	tcpAck = 0x10
)

// Largest payloads that keep a frame within 1514 bytes.
const (
	mssIPv4 = 1460
	mssIPv6 = 1440
	udpIPv4 = 1472
	udpIPv6 = 1452
)

// nextSegment decides the flow's next packet from its style and position.
func (f *flowState) nextSegment(rng *rand.Rand) segment {
	switch f.kind {
	case kindTCP:
		return f.nextTCP(rng)
	case kindUDP:
		return f.nextUDP(rng)
	}
	return f.nextICMP()
}

func (f *flowState) nextTCP(rng *rand.Rand) segment {
	k, n := f.sent, f.size
	switch {
	case k == 0:
		return segment{side: 0, tcpFlags: tcpSyn}
	case k == 1:
		return segment{side: 1, tcpFlags: tcpSyn | tcpAck}
	case k == 2:
		return segment{side: 0, tcpFlags: tcpAck}
	case f.style == styleRst && k == n-1:
		return segment{side: f.closer, tcpFlags: tcpRst | tcpAck}
	case f.style == styleFin && k >= n-3:
		switch k - (n - 3) {
		case 0:
			return segment{side: f.closer, tcpFlags: tcpFin | tcpAck}
		case 1:
			return segment{side: 1 - f.closer, tcpFlags: tcpFin | tcpAck}
		}
		return segment{side: f.closer, tcpFlags: tcpAck}
	}

	mss := mssIPv4
	if f.v6 {
		mss = mssIPv6
	}
	s := segment{side: 0, tcpFlags: tcpAck}
	if rng.Float64() < 0.7 {
		// Servers mostly send full segments; the tail of a burst is shorter.
		s.side = 1
		s.payload = mss
		if rng.Float64() < 0.3 {
			s.payload = 1 + rng.IntN(mss)
		}
	} else if rng.Float64() < 0.4 {
		// Clients mostly acknowledge; now and then they send a request.
		s.payload = 1 + rng.IntN(700)
	}
	if s.payload > 0 && s.payload < mss {
		s.tcpFlags |= tcpPsh
	}
	return s
}

func (f *flowState) nextUDP(rng *rand.Rand) segment {
	s := segment{}
	switch f.style {
	case styleOneWay:
		s.payload = 40 + rng.IntN(360)
	case styleReqResp:
		s.side = uint8(f.sent % 2)
		s.payload = 20 + rng.IntN(100)
		if s.side == 1 {
			s.payload = 40 + rng.IntN(460)
		}
	default:
		if f.sent > 0 && rng.Float64() < 0.7 {
			s.side = 1
		}
		s.payload = 20 + rng.IntN(180)
		if s.side == 1 && rng.Float64() < 0.7 {
			s.payload = 1200 + rng.IntN(151)
		}
	}
	limit := udpIPv4
	if f.v6 {
		limit = udpIPv6
	}
	s.payload = min(s.payload, limit)
	return s
}

func (f *flowState) nextICMP() segment {
	s := segment{payload: int(f.icmpPayload), icmpSeq: uint16(f.sent)}
	if f.style == styleAnswered {
		s.side = uint8(f.sent % 2)
		s.icmpSeq = uint16(f.sent / 2)
	}
	return s
}
