package ipfix

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/vmware/go-ipfix/pkg/entities"
	"github.com/vmware/go-ipfix/pkg/registry"
)

// Template IDs of the data records: one template per address family for plain
// flows, and, with Options.Tunnels, one per family and tunnel type for decapsulated
// flows. IDs below 256 are reserved for set IDs.
const (
	TemplateIPv4      uint16 = 256
	TemplateIPv6      uint16 = 257
	TemplateIPv4GRE   uint16 = 258
	TemplateIPv6GRE   uint16 = 259
	TemplateIPv4VXLAN uint16 = 260
	TemplateIPv6VXLAN uint16 = 261
)

// encoding is what the options change in the templates and records.
type encoding struct {
	milliseconds bool // flowStart/EndMilliseconds instead of Microseconds
	tunnels      bool // decapsulated flows get the tunnel templates
}

// templateOf returns the template of a record of IP version 6 (or not) found in
// tunnel: its ID and its data record length.
func templateOf(ipv6 bool, tunnel flow.TunnelType) (uint16, int) {
	plain, gre, vxlan, n := TemplateIPv4, TemplateIPv4GRE, TemplateIPv4VXLAN, recordLenIPv4
	if ipv6 {
		plain, gre, vxlan, n = TemplateIPv6, TemplateIPv6GRE, TemplateIPv6VXLAN, recordLenIPv6
	}
	switch tunnel {
	case flow.TunnelGRE:
		return gre, n + 4 // greKey
	case flow.TunnelVXLAN:
		return vxlan, n + 8 // layer2SegmentId
	}
	return plain, n
}

// ReversePEN is the private enterprise number of RFC 5103 reverse elements.
const ReversePEN = registry.IANAReversedEnterpriseID

// element names one template field: an IANA element, or its RFC 5103 reverse form.
type element struct {
	name    string
	reverse bool
}

// templateElements returns the fields of a template in the order the encoder writes
// them. ICMP flows keep both ports at 0 and carry type*256+code in the icmpTypeCode
// element, which is 0 for every other protocol. A tunnel template adds the tunnel's
// ID: greKey (296) for GRE, layer2SegmentId (351) for VXLAN.
func templateElements(ipv6, milliseconds bool, tunnel flow.TunnelType) []element {
	start, end := "flowStartMicroseconds", "flowEndMicroseconds"
	if milliseconds {
		start, end = "flowStartMilliseconds", "flowEndMilliseconds"
	}
	src, dst, icmp := "sourceIPv4Address", "destinationIPv4Address", "icmpTypeCodeIPv4"
	if ipv6 {
		src, dst, icmp = "sourceIPv6Address", "destinationIPv6Address", "icmpTypeCodeIPv6"
	}
	fields := []element{
		{"flowEndReason", false},
		{"octetDeltaCount", false},
		{"octetDeltaCount", true},
		{"packetDeltaCount", false},
		{"packetDeltaCount", true},
		{start, false},
		{end, false},
		{"ipVersion", false},
		{"protocolIdentifier", false},
		{"tcpControlBits", false},
		{"tcpControlBits", true},
		{"sourceTransportPort", false},
		{"destinationTransportPort", false},
		{"ingressInterface", false},
		{"flowDirection", false},
		{src, false},
		{dst, false},
		{"sourceMacAddress", false},
		{"destinationMacAddress", false},
		{icmp, false},
		{"vlanId", false},
	}
	switch tunnel {
	case flow.TunnelGRE:
		fields = append(fields, element{"greKey", false})
	case flow.TunnelVXLAN:
		fields = append(fields, element{"layer2SegmentId", false})
	}
	return fields
}

var loadRegistry sync.Once

// infoElements looks the fields up in go-ipfix's copy of the IANA registry.
func infoElements(fields []element) ([]*entities.InfoElement, error) {
	loadRegistry.Do(registry.LoadRegistry)
	ies := make([]*entities.InfoElement, 0, len(fields))
	for _, f := range fields {
		ie, err := registry.GetInfoElement(f.name, registry.IANAEnterpriseID)
		if err != nil {
			return nil, fmt.Errorf("ipfix: template element %s: %w", f.name, err)
		}
		if f.reverse {
			ie = entities.NewInfoElement(ie.Name, ie.ElementId, ie.DataType, ReversePEN, ie.Len)
		}
		ies = append(ies, ie)
	}
	return ies, nil
}

// appendTemplateRecord appends one template record (RFC 7011 section 3.4.1) and
// returns it with the data record length the template defines.
func appendTemplateRecord(b []byte, id uint16, ies []*entities.InfoElement) ([]byte, int) {
	b = binary.BigEndian.AppendUint16(b, id)
	b = binary.BigEndian.AppendUint16(b, uint16(len(ies)))
	length := 0
	for _, ie := range ies {
		if ie.EnterpriseId == 0 {
			b = binary.BigEndian.AppendUint16(b, ie.ElementId)
		} else {
			b = binary.BigEndian.AppendUint16(b, ie.ElementId|0x8000)
		}
		b = binary.BigEndian.AppendUint16(b, ie.Len)
		if ie.EnterpriseId != 0 {
			b = binary.BigEndian.AppendUint32(b, ie.EnterpriseId)
		}
		length += int(ie.Len)
	}
	return b, length
}

// templateSet returns the template set holding every template of enc.
func templateSet(enc encoding) ([]byte, error) {
	tunnels := []flow.TunnelType{flow.TunnelNone}
	if enc.tunnels {
		tunnels = append(tunnels, flow.TunnelGRE, flow.TunnelVXLAN)
	}
	set := make([]byte, setHeaderLen, 1024)
	for _, tunnel := range tunnels {
		for _, ipv6 := range []bool{false, true} {
			ies, err := infoElements(templateElements(ipv6, enc.milliseconds, tunnel))
			if err != nil {
				return nil, err
			}
			id, want := templateOf(ipv6, tunnel)
			var n int
			set, n = appendTemplateRecord(set, id, ies)
			if n != want {
				// The encoder writes a fixed layout; a registry that disagrees with
				// it would make every record undecodable.
				return nil, fmt.Errorf("ipfix: template %d defines %d-byte records,"+
					" encoder writes %d", id, n, want)
			}
		}
	}
	binary.BigEndian.PutUint16(set, entities.TemplateSetID)
	binary.BigEndian.PutUint16(set[2:], uint16(len(set)))
	return set, nil
}
