package flowexport

import (
	"math"

	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/trapout/unirec"
)

// encode fills e.rec from r. Packet counters above 2^32-1 saturate, since the basic
// template has 32-bit PACKETS fields. For ICMP and ICMPv6 the type and code go into
// DST_PORT as type*256+code, where NEMEA detectors look for them without the icmp
// plugin's L4_ICMP_TYPE_CODE; with that field they go there, and both ports stay 0,
// as ipfixprobe sends them. VLAN_ID, when present, holds the flow key's VLAN ID.
func (e *Exporter) encode(r *flow.Record) {
	t, rec, f := e.tmpl, e.rec, &e.f
	t.SetIP(rec, f.dstIP, r.DstIP())
	t.SetIP(rec, f.srcIP, r.SrcIP())
	t.SetUint64(rec, f.bytes, r.Bytes)
	t.SetUint64(rec, f.bytesRev, r.BytesRev)
	t.SetUint64(rec, f.link, e.opts.LinkBitField)
	t.SetTime(rec, f.first, unirec.TimeFromUnixNano(r.TimeFirst))
	t.SetTime(rec, f.last, unirec.TimeFromUnixNano(r.TimeLast))
	t.SetMAC(rec, f.dstMAC, r.DstMAC)
	t.SetMAC(rec, f.srcMAC, r.SrcMAC)
	t.SetUint32(rec, f.packets, saturate32(r.Packets))
	t.SetUint32(rec, f.packetsRev, saturate32(r.PacketsRev))
	isICMP := r.Protocol == protoICMP || r.Protocol == protoICMPv6
	dstPort := r.DstPort
	if isICMP && f.icmp < 0 {
		dstPort = r.ICMPTypeCode
	}
	t.SetUint16(rec, f.dstPort, dstPort)
	t.SetUint16(rec, f.srcPort, r.SrcPort)
	t.SetUint8(rec, f.dir, e.opts.DirBitField)
	t.SetUint8(rec, f.proto, r.Protocol)
	t.SetUint8(rec, f.flags, r.TCPFlags)
	t.SetUint8(rec, f.flagsRev, r.TCPFlagsRev)
	if f.vlan >= 0 {
		t.SetUint16(rec, f.vlan, r.VLAN)
	}
	if f.icmp >= 0 {
		var typeCode uint16
		if isICMP {
			typeCode = r.ICMPTypeCode
		}
		t.SetUint16(rec, f.icmp, typeCode)
	}
}

const (
	protoICMP   = 1
	protoICMPv6 = 58
)

func saturate32(v uint64) uint32 {
	if v > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(v)
}
