package text

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// column is one field of a record as text. raw appends the value as CSV and JSON
// carry it; human, when set, appends the table's form instead.
type column struct {
	name   string
	width  int  // table width; values wider than this push the row out
	quoted bool // a JSON string rather than a number
	raw    func(b []byte, r *flow.Record) []byte
	human  func(b []byte, r *flow.Record) []byte
}

// tableWidth is the column's width in the table: enough for its name and for most
// of its values.
func (c *column) tableWidth() int { return max(c.width, len(c.name)) }

const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

func appendTime(b []byte, ns int64) []byte {
	return time.Unix(0, ns).UTC().AppendFormat(b, timeLayout)
}

func appendMAC(b []byte, m [6]byte) []byte {
	const hex = "0123456789abcdef"
	for i, x := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hex[x>>4], hex[x&0xf])
	}
	return b
}

// appendTunnelAddr writes an outer tunnel address, or nothing when there is no tunnel.
func appendTunnelAddr(b []byte, r *flow.Record, a *[16]byte) []byte {
	if r.TunnelType == flow.TunnelNone {
		return b
	}
	addr := netip.AddrFrom16(*a)
	return addr.Unmap().AppendTo(b)
}

func uintColumn(name string, width int, v func(r *flow.Record) uint64) column {
	return column{name: name, width: width, raw: func(b []byte, r *flow.Record) []byte {
		return strconv.AppendUint(b, v(r), 10)
	}}
}

// tcpFlagLetters are the TCP flags from the highest bit down, as nfdump prints them.
const tcpFlagLetters = "CEUAPRSF"

func appendTCPFlags(b []byte, f uint8) []byte {
	for i := range 8 {
		if f&(0x80>>i) != 0 {
			b = append(b, tcpFlagLetters[i])
		} else {
			b = append(b, '.')
		}
	}
	return b
}

var protocolNames = map[uint8]string{1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp",
	58: "icmp6", 132: "sctp"}

var tunnelNames = [...]string{flow.TunnelNone: "none", flow.TunnelGRE: "gre",
	flow.TunnelVXLAN: "vxlan"}

var columns = []column{
	{name: "SRC_IP", width: 15, quoted: true, raw: func(b []byte, r *flow.Record) []byte {
		return r.SrcIP().AppendTo(b)
	}},
	{name: "DST_IP", width: 15, quoted: true, raw: func(b []byte, r *flow.Record) []byte {
		return r.DstIP().AppendTo(b)
	}},
	uintColumn("SRC_PORT", 8, func(r *flow.Record) uint64 { return uint64(r.SrcPort) }),
	uintColumn("DST_PORT", 8, func(r *flow.Record) uint64 { return uint64(r.DstPort) }),
	{name: "PROTOCOL", width: 8, raw: func(b []byte, r *flow.Record) []byte {
		return strconv.AppendUint(b, uint64(r.Protocol), 10)
	}, human: func(b []byte, r *flow.Record) []byte {
		if n, ok := protocolNames[r.Protocol]; ok {
			return append(b, n...)
		}
		return strconv.AppendUint(b, uint64(r.Protocol), 10)
	}},
	uintColumn("IP_VERSION", 2, func(r *flow.Record) uint64 { return uint64(r.IPVersion) }),
	uintColumn("VLAN", 4, func(r *flow.Record) uint64 { return uint64(r.VLAN) }),
	uintColumn("PACKETS", 8, func(r *flow.Record) uint64 { return r.Packets }),
	uintColumn("BYTES", 10, func(r *flow.Record) uint64 { return r.Bytes }),
	uintColumn("PACKETS_REV", 11, func(r *flow.Record) uint64 { return r.PacketsRev }),
	uintColumn("BYTES_REV", 10, func(r *flow.Record) uint64 { return r.BytesRev }),
	{name: "TCP_FLAGS", width: 9, raw: func(b []byte, r *flow.Record) []byte {
		return strconv.AppendUint(b, uint64(r.TCPFlags), 10)
	}, human: func(b []byte, r *flow.Record) []byte { return appendTCPFlags(b, r.TCPFlags) }},
	{name: "TCP_FLAGS_REV", width: 13, raw: func(b []byte, r *flow.Record) []byte {
		return strconv.AppendUint(b, uint64(r.TCPFlagsRev), 10)
	}, human: func(b []byte, r *flow.Record) []byte {
		return appendTCPFlags(b, r.TCPFlagsRev)
	}},
	uintColumn("ICMP_TYPE_CODE", 14, func(r *flow.Record) uint64 {
		return uint64(r.ICMPTypeCode)
	}),
	{name: "TIME_FIRST", width: 27, quoted: true, raw: func(b []byte, r *flow.Record) []byte {
		return appendTime(b, r.TimeFirst)
	}},
	{name: "TIME_LAST", width: 27, quoted: true, raw: func(b []byte, r *flow.Record) []byte {
		return appendTime(b, r.TimeLast)
	}},
	{name: "END_REASON", width: 10, quoted: true, raw: func(b []byte, r *flow.Record) []byte {
		return append(b, r.EndReason.String()...)
	}},
	{name: "DIRECTION", width: 9, quoted: true, raw: func(b []byte, r *flow.Record) []byte {
		if r.Direction == flow.Egress {
			return append(b, "egress"...)
		}
		return append(b, "ingress"...)
	}},
	uintColumn("IF_INDEX", 8, func(r *flow.Record) uint64 { return uint64(r.IfIndex) }),
	{name: "SRC_MAC", width: 17, quoted: true, raw: func(b []byte, r *flow.Record) []byte {
		return appendMAC(b, r.SrcMAC)
	}},
	{name: "DST_MAC", width: 17, quoted: true, raw: func(b []byte, r *flow.Record) []byte {
		return appendMAC(b, r.DstMAC)
	}},
	{name: "TUNNEL", width: 6, quoted: true, raw: func(b []byte, r *flow.Record) []byte {
		if int(r.TunnelType) < len(tunnelNames) {
			return append(b, tunnelNames[r.TunnelType]...)
		}
		return strconv.AppendUint(b, uint64(r.TunnelType), 10)
	}},
	{name: "TUNNEL_SRC_IP", width: 15, quoted: true,
		raw: func(b []byte, r *flow.Record) []byte {
			return appendTunnelAddr(b, r, &r.Tunnel.SrcAddr)
		}},
	{name: "TUNNEL_DST_IP", width: 15, quoted: true,
		raw: func(b []byte, r *flow.Record) []byte {
			return appendTunnelAddr(b, r, &r.Tunnel.DstAddr)
		}},
	uintColumn("TUNNEL_ID", 9, func(r *flow.Record) uint64 { return uint64(r.TunnelID) }),
}
