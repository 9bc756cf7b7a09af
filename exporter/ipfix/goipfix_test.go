package ipfix

import (
	"bytes"
	"net"
	"testing"

	"github.com/vmware/go-ipfix/pkg/entities"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// goIPFIXRecord encodes flows with go-ipfix's data record API, in the millisecond
// layout, the only one go-ipfix can write. It serves as a second encoder to check
// putRecord against and as the baseline of BenchmarkEncode.
type goIPFIXRecord struct {
	// Per template ID, the elements reused from record to record and their
	// definitions, in the millisecond layout with the tunnel templates.
	elems map[uint16][]entities.InfoElementWithValue
	ies   map[uint16][]*entities.InfoElement
}

// goIPFIXEncoding is the layout go-ipfix can write.
var goIPFIXEncoding = encoding{milliseconds: true, tunnels: true}

func newGoIPFIXRecord(tb testing.TB) *goIPFIXRecord {
	tb.Helper()
	g := &goIPFIXRecord{elems: map[uint16][]entities.InfoElementWithValue{},
		ies: map[uint16][]*entities.InfoElement{}}
	for _, tunnel := range []flow.TunnelType{flow.TunnelNone, flow.TunnelGRE,
		flow.TunnelVXLAN} {
		for _, ipv6 := range []bool{false, true} {
			ies, err := infoElements(templateElements(ipv6, true, tunnel))
			if err != nil {
				tb.Fatal(err)
			}
			id, _ := templateOf(ipv6, tunnel)
			g.ies[id] = ies
			for _, ie := range ies {
				e, err := entities.DecodeAndCreateInfoElementWithValue(ie, nil)
				if err != nil {
					tb.Fatal(err)
				}
				g.elems[id] = append(g.elems[id], e)
			}
		}
	}
	return g
}

// addresses returns r's addresses as go-ipfix takes them.
func addresses(r *flow.Record) (src, dst net.IP) {
	if r.IPVersion == 6 {
		return r.SrcAddr[:], r.DstAddr[:]
	}
	return r.SrcAddr[12:], r.DstAddr[12:]
}

// tunnelValue is the value of the tunnel template's last element.
func tunnelValue(r *flow.Record) uint64 {
	if r.TunnelType == flow.TunnelVXLAN {
		return vxlanSegment | uint64(r.TunnelID)
	}
	return uint64(r.TunnelID)
}

// appendReused sets the values of the reused elements and appends the record: the
// cheapest way go-ipfix offers.
func (g *goIPFIXRecord) appendReused(b []byte, r *flow.Record) ([]byte, error) {
	src, dst := addresses(r)
	_, id := recordLen(r, goIPFIXEncoding)
	e := g.elems[id]
	e[0].SetUnsigned8Value(uint8(r.EndReason))
	e[1].SetUnsigned64Value(r.Bytes)
	e[2].SetUnsigned64Value(r.BytesRev)
	e[3].SetUnsigned64Value(r.Packets)
	e[4].SetUnsigned64Value(r.PacketsRev)
	e[5].SetUnsigned64Value(unixMillis(r.TimeFirst))
	e[6].SetUnsigned64Value(unixMillis(r.TimeLast))
	e[7].SetUnsigned8Value(r.IPVersion)
	e[8].SetUnsigned8Value(r.Protocol)
	e[9].SetUnsigned16Value(uint16(r.TCPFlags))
	e[10].SetUnsigned16Value(uint16(r.TCPFlagsRev))
	e[11].SetUnsigned16Value(r.SrcPort)
	e[12].SetUnsigned16Value(r.DstPort)
	e[13].SetUnsigned32Value(r.IfIndex)
	e[14].SetUnsigned8Value(uint8(r.Direction))
	e[15].SetIPAddressValue(src)
	e[16].SetIPAddressValue(dst)
	e[17].SetMacAddressValue(r.SrcMAC[:])
	e[18].SetMacAddressValue(r.DstMAC[:])
	e[19].SetUnsigned16Value(icmpTypeCode(r))
	e[20].SetUnsigned16Value(r.VLAN)
	switch r.TunnelType {
	case flow.TunnelGRE:
		e[21].SetUnsigned32Value(r.TunnelID)
	case flow.TunnelVXLAN:
		e[21].SetUnsigned64Value(tunnelValue(r))
	}
	return entities.NewDataRecordFromElements(id, e).AppendToBuffer(b)
}

// appendNew builds fresh elements for each record, as go-ipfix's examples do.
func (g *goIPFIXRecord) appendNew(b []byte, r *flow.Record) ([]byte, error) {
	src, dst := addresses(r)
	_, id := recordLen(r, goIPFIXEncoding)
	ie := g.ies[id]
	e := []entities.InfoElementWithValue{
		entities.NewUnsigned8InfoElement(ie[0], uint8(r.EndReason)),
		entities.NewUnsigned64InfoElement(ie[1], r.Bytes),
		entities.NewUnsigned64InfoElement(ie[2], r.BytesRev),
		entities.NewUnsigned64InfoElement(ie[3], r.Packets),
		entities.NewUnsigned64InfoElement(ie[4], r.PacketsRev),
		entities.NewDateTimeMillisecondsInfoElement(ie[5], unixMillis(r.TimeFirst)),
		entities.NewDateTimeMillisecondsInfoElement(ie[6], unixMillis(r.TimeLast)),
		entities.NewUnsigned8InfoElement(ie[7], r.IPVersion),
		entities.NewUnsigned8InfoElement(ie[8], r.Protocol),
		entities.NewUnsigned16InfoElement(ie[9], uint16(r.TCPFlags)),
		entities.NewUnsigned16InfoElement(ie[10], uint16(r.TCPFlagsRev)),
		entities.NewUnsigned16InfoElement(ie[11], r.SrcPort),
		entities.NewUnsigned16InfoElement(ie[12], r.DstPort),
		entities.NewUnsigned32InfoElement(ie[13], r.IfIndex),
		entities.NewUnsigned8InfoElement(ie[14], uint8(r.Direction)),
		entities.NewIPAddressInfoElement(ie[15], src),
		entities.NewIPAddressInfoElement(ie[16], dst),
		entities.NewMacAddressInfoElement(ie[17], net.HardwareAddr(r.SrcMAC[:])),
		entities.NewMacAddressInfoElement(ie[18], net.HardwareAddr(r.DstMAC[:])),
		entities.NewUnsigned16InfoElement(ie[19], icmpTypeCode(r)),
		entities.NewUnsigned16InfoElement(ie[20], r.VLAN),
	}
	switch r.TunnelType {
	case flow.TunnelGRE:
		e = append(e, entities.NewUnsigned32InfoElement(ie[21], r.TunnelID))
	case flow.TunnelVXLAN:
		e = append(e, entities.NewUnsigned64InfoElement(ie[21], tunnelValue(r)))
	}
	return entities.NewDataRecordFromElements(id, e).AppendToBuffer(b)
}

// TestGoIPFIXEncodesTheSameBytes checks the hand-written encoder against go-ipfix's
// own encoding of the same records, field layout and byte order included.
func TestGoIPFIXEncodesTheSameBytes(t *testing.T) {
	g := newGoIPFIXRecord(t)
	buf := make([]byte, maxRecordLen)
	for i, r := range sampleRecords(50) {
		want, err := g.appendNew(nil, &r)
		if err != nil {
			t.Fatal(err)
		}
		reused, err := g.appendReused(nil, &r)
		if err != nil {
			t.Fatal(err)
		}
		got := buf[:putRecord(buf, &r, goIPFIXEncoding)]
		if !bytes.Equal(got, want) || !bytes.Equal(reused, want) {
			t.Fatalf("record %d:\nput    %x\ngoipfix %x\nreused  %x", i, got, want, reused)
		}
	}
}
