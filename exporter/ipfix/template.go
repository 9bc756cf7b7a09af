package ipfix

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/vmware/go-ipfix/pkg/entities"
	"github.com/vmware/go-ipfix/pkg/registry"
)

// Template IDs of the two data records. IDs below 256 are reserved for set IDs.
const (
	TemplateIPv4 uint16 = 256
	TemplateIPv6 uint16 = 257
)

// ReversePEN is the private enterprise number of RFC 5103 reverse elements.
const ReversePEN = registry.IANAReversedEnterpriseID

// element names one template field: an IANA element, or its RFC 5103 reverse form.
type element struct {
	name    string
	reverse bool
}

// templateElements returns the fields of the IPv4 or IPv6 template in the order the
// encoder writes them. ICMP flows keep both ports at 0 and carry type*256+code in the
// icmpTypeCode element, which is 0 for every other protocol.
func templateElements(ipv6, milliseconds bool) []element {
	start, end := "flowStartMicroseconds", "flowEndMicroseconds"
	if milliseconds {
		start, end = "flowStartMilliseconds", "flowEndMilliseconds"
	}
	src, dst, icmp := "sourceIPv4Address", "destinationIPv4Address", "icmpTypeCodeIPv4"
	if ipv6 {
		src, dst, icmp = "sourceIPv6Address", "destinationIPv6Address", "icmpTypeCodeIPv6"
	}
	return []element{
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
	}
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

// templateSet returns the template set holding both templates.
func templateSet(milliseconds bool) ([]byte, error) {
	set := make([]byte, setHeaderLen, 256)
	for _, t := range []struct {
		id   uint16
		ipv6 bool
		want int
	}{{TemplateIPv4, false, recordLenIPv4}, {TemplateIPv6, true, recordLenIPv6}} {
		ies, err := infoElements(templateElements(t.ipv6, milliseconds))
		if err != nil {
			return nil, err
		}
		var n int
		set, n = appendTemplateRecord(set, t.id, ies)
		if n != t.want {
			// The encoder writes a fixed layout; a registry that disagrees with it
			// would make every record undecodable.
			return nil, fmt.Errorf("ipfix: template %d defines %d-byte records, encoder writes %d",
				t.id, n, t.want)
		}
	}
	binary.BigEndian.PutUint16(set, entities.TemplateSetID)
	binary.BigEndian.PutUint16(set[2:], uint16(len(set)))
	return set, nil
}
