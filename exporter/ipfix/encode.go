package ipfix

import (
	"encoding/binary"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// Lengths of the fixed parts of a message and of the data records of plain flows; a
// tunnel template adds its tunnel ID (see templateOf).
const (
	headerLen     = 16
	setHeaderLen  = 4
	recordLenIPv4 = 88
	recordLenIPv6 = 112
)

// vxlanSegment marks a layer2SegmentId as a VXLAN VNI: the IANA definition of the
// element puts the overlay's encapsulation type in its top byte, 0x01 for VXLAN.
const vxlanSegment = 0x01 << 56

// ntpEpochOffset is the number of seconds from 1900-01-01 (the NTP epoch) to
// 1970-01-01 (the Unix epoch).
const ntpEpochOffset = 2208988800

// putRecord writes r as a data record of its template (see recordLen), in the field
// order of templateElements, and returns the record length. b must hold it.
func putRecord(b []byte, r *flow.Record, enc encoding) int {
	be := binary.BigEndian
	_ = b[recordLenIPv4-1]
	b[0] = uint8(r.EndReason)
	be.PutUint64(b[1:], r.Bytes)
	be.PutUint64(b[9:], r.BytesRev)
	be.PutUint64(b[17:], r.Packets)
	be.PutUint64(b[25:], r.PacketsRev)
	if enc.milliseconds {
		be.PutUint64(b[33:], unixMillis(r.TimeFirst))
		be.PutUint64(b[41:], unixMillis(r.TimeLast))
	} else {
		be.PutUint64(b[33:], ntpMicros(r.TimeFirst))
		be.PutUint64(b[41:], ntpMicros(r.TimeLast))
	}
	b[49] = r.IPVersion
	b[50] = r.Protocol
	be.PutUint16(b[51:], uint16(r.TCPFlags))
	be.PutUint16(b[53:], uint16(r.TCPFlagsRev))
	be.PutUint16(b[55:], r.SrcPort)
	be.PutUint16(b[57:], r.DstPort)
	be.PutUint32(b[59:], r.IfIndex)
	b[63] = uint8(r.Direction)

	n := 64
	if r.IPVersion == 6 {
		_ = b[recordLenIPv6-1]
		copy(b[n:n+16], r.SrcAddr[:])
		copy(b[n+16:n+32], r.DstAddr[:])
		n += 32
	} else {
		copy(b[n:n+4], r.SrcAddr[12:])
		copy(b[n+4:n+8], r.DstAddr[12:])
		n += 8
	}
	copy(b[n:n+6], r.SrcMAC[:])
	copy(b[n+6:n+12], r.DstMAC[:])
	be.PutUint16(b[n+12:], icmpTypeCode(r))
	be.PutUint16(b[n+14:], r.VLAN)
	n += 16
	if !enc.tunnels {
		return n
	}
	switch r.TunnelType {
	case flow.TunnelGRE:
		be.PutUint32(b[n:], r.TunnelID)
		n += 4
	case flow.TunnelVXLAN:
		be.PutUint64(b[n:], vxlanSegment|uint64(r.TunnelID))
		n += 8
	}
	return n
}

// recordLen returns the encoded length of r and the template it uses: that of its
// IP version and, with enc.tunnels, of its tunnel.
func recordLen(r *flow.Record, enc encoding) (int, uint16) {
	tunnel := r.TunnelType
	if !enc.tunnels {
		tunnel = flow.TunnelNone
	}
	id, n := templateOf(r.IPVersion == 6, tunnel)
	return n, id
}

func icmpTypeCode(r *flow.Record) uint16 {
	if r.Protocol == 1 || r.Protocol == 58 {
		return r.ICMPTypeCode
	}
	return 0
}

// ntpMicros converts Unix nanoseconds to the dateTimeMicroseconds encoding of
// RFC 7011 section 6.1.9: NTP seconds since 1900 in the upper 32 bits, the binary
// fraction of a second below, with its lowest 11 bits zero as the RFC asks. The
// fraction is rounded up to the next such value, which keeps it within half a
// microsecond above the exact one, so decoders that truncate and decoders that round
// both read back the same microsecond. Times before 1970 are written as 1970.
//
// The NTP seconds field wraps in February 2036 (era 1); this encoder writes the low
// 32 bits there, as RFC 5905 defines, and leaves the era to the collector.
func ntpMicros(ns int64) uint64 {
	if ns < 0 {
		ns = 0
	}
	sec := uint64(ns / 1e9)
	us := uint64(ns%1e9) / 1000
	frac := ((us<<32+999_999)/1_000_000 + 2047) &^ 2047
	return uint64(uint32(sec+ntpEpochOffset))<<32 | frac
}

// unixMillis converts Unix nanoseconds to dateTimeMilliseconds; times before 1970
// are written as 1970.
func unixMillis(ns int64) uint64 {
	if ns < 0 {
		return 0
	}
	return uint64(ns / 1e6)
}
