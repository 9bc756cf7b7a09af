package ipfix

import (
	"math"
	"testing"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// FuzzRecordRoundTrip encodes arbitrary flows and reads them back through the
// templates on the wire: every field must survive, whatever its value.
func FuzzRecordRoundTrip(f *testing.F) {
	for i := range 10 {
		r := sampleRecord(i)
		f.Add(r.SrcAddr[:], r.DstAddr[:], r.IPVersion == 6, r.SrcPort, r.DstPort, r.Protocol,
			r.TCPFlags, r.TCPFlagsRev, r.Packets, r.PacketsRev, r.Bytes, r.BytesRev,
			r.TimeFirst, r.TimeLast, r.ICMPTypeCode, r.IfIndex, uint8(r.Direction),
			uint8(r.EndReason), r.VLAN, uint8(r.TunnelType), r.TunnelID, uint8(i%4))
	}
	f.Fuzz(func(t *testing.T, src, dst []byte, ipv6 bool, sport, dport uint16,
		proto, flags, flagsRev uint8, pkts, pktsRev, bytes, bytesRev uint64,
		first, last int64, icmp uint16, ifIndex uint32, dir, reason uint8, vlan uint16,
		tunnel uint8, tunnelID uint32, options uint8) {
		var r flow.Record
		r.IPVersion = 4
		if ipv6 {
			r.IPVersion = 6
			copy(r.SrcAddr[:], src)
			copy(r.DstAddr[:], dst)
		} else {
			r.SrcAddr[10], r.SrcAddr[11] = 0xff, 0xff
			r.DstAddr[10], r.DstAddr[11] = 0xff, 0xff
			copy(r.SrcAddr[12:], src)
			copy(r.DstAddr[12:], dst)
		}
		copy(r.SrcMAC[:], dst)
		copy(r.DstMAC[:], src)
		r.SrcPort, r.DstPort, r.Protocol = sport, dport, proto
		r.TCPFlags, r.TCPFlagsRev = flags, flagsRev
		r.Packets, r.PacketsRev, r.Bytes, r.BytesRev = pkts, pktsRev, bytes, bytesRev
		r.TimeFirst, r.TimeLast = first&math.MaxInt64, last&math.MaxInt64
		r.ICMPTypeCode, r.IfIndex = icmp, ifIndex
		r.Direction, r.EndReason = flow.Direction(dir), flow.EndReason(reason)
		r.VLAN = vlan
		r.TunnelType, r.TunnelID = flow.TunnelType(tunnel%3), tunnelID
		if r.TunnelType == flow.TunnelVXLAN {
			r.TunnelID &= 1<<24 - 1 // a VNI has 24 bits
		}
		enc := encoding{milliseconds: options&1 != 0, tunnels: options&2 != 0}

		set, err := templateSet(enc)
		if err != nil {
			t.Fatal(err)
		}
		templates := map[uint16][]templateField{}
		tmpl := append(make([]byte, headerLen), set...)
		stamp(tmpl, 0, 0, 0)
		if _, err := decodeMessage(tmpl, templates); err != nil {
			t.Fatal(err)
		}
		m := newMessage(minMessage)
		if !m.add(&r, enc) {
			t.Fatal("one record does not fit an empty message")
		}
		m.closeSet()
		stamp(m.buf, 0, 0, 0)
		got, err := decodeMessage(m.buf, templates)
		if err != nil || len(got.records) != 1 {
			t.Fatalf("decode: %d records, %v", len(got.records), err)
		}
		checkRecord(t, got.records[0], &r, enc)
	})
}
