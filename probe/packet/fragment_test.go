package packet

import (
	"fmt"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// fragment4 builds an IPv4 fragment of datagram id: the first one carries a UDP
// or ICMP header, later ones only data.
func fragment4(t *testing.T, id uint16, offset uint16, more bool,
	proto layers.IPProtocol) []byte {
	h := &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, Id: id, FragOffset: offset,
		SrcIP: []byte{198, 18, 0, 1}, DstIP: []byte{198, 18, 0, 2}}
	if more {
		h.Flags = layers.IPv4MoreFragments
	}
	switch {
	case offset != 0:
		return serialize(t, eth(etIPv4), h, payload(64))
	case proto == layers.IPProtocolICMPv4:
		return serialize(t, eth(etIPv4), h,
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)}, payload(64))
	}
	return serialize(t, eth(etIPv4), h, udp(1000+id, 53), payload(64))
}

// fragment6 builds an IPv6 fragment, like fragment4.
func fragment6(t *testing.T, id uint32, offset uint16, more bool) []byte {
	h := ip6("2001:db8::1", "2001:db8::2", layers.IPProtocolIPv6Fragment)
	if offset != 0 {
		return serialize(t, eth(etIPv6), h, frag6(ipUDP, offset, more, id), payload(64))
	}
	return serialize(t, eth(etIPv6), h, frag6(ipUDP, 0, more, id), udp(2000, 53), payload(56))
}

// u4 and u6 describe the UDP packets of the fragment tests.
func u4(sport, dport, n int) string {
	return fmt.Sprintf("v4 p17 198.18.0.1:%d > 198.18.0.2:%d vlan 0 len %d", sport, dport, n)
}

func u6(sport, dport, n int) string {
	return fmt.Sprintf("v6 p17 2001:db8::1:%d > 2001:db8::2:%d vlan 0 len %d", sport, dport, n)
}

func TestFragmentTable(t *testing.T) {
	type step struct {
		frame []byte
		want  string
	}
	icmp := layers.IPProtocolICMPv4
	for _, tc := range []struct {
		name                 string
		slots                int
		steps                []step
		attached, unattached uint64
	}{
		{name: "ipv4 later fragments join the first", steps: []step{
			{fragment4(t, 1, 0, true, ipUDP), u4(1001, 53, 92)},
			{fragment4(t, 1, 9, true, ipUDP), u4(1001, 53, 84)},
			{fragment4(t, 1, 18, false, ipUDP), u4(1001, 53, 84)},
			{fragment4(t, 2, 9, false, ipUDP), u4(0, 0, 84)},
		}, attached: 2, unattached: 1},
		{name: "ipv4 icmp fragments keep the type", steps: []step{
			{fragment4(t, 3, 0, true, icmp),
				"v4 p1 198.18.0.1:0 > 198.18.0.2:0 vlan 0 len 92 icmp 8/0"},
			{fragment4(t, 3, 9, false, icmp),
				"v4 p1 198.18.0.1:0 > 198.18.0.2:0 vlan 0 len 84 icmp 8/0"},
		}, attached: 1},
		{name: "a later fragment before its first one", steps: []step{
			{fragment4(t, 4, 9, false, ipUDP), u4(0, 0, 84)},
			{fragment4(t, 4, 0, true, ipUDP), u4(1004, 53, 92)},
		}, unattached: 1},
		{name: "ipv6 later fragments join the first", steps: []step{
			{fragment6(t, 7, 0, true), u6(2000, 53, 112)},
			{fragment6(t, 7, 8, false), u6(2000, 53, 112)},
			{fragment6(t, 8, 8, false), u6(0, 0, 112)},
		}, attached: 1, unattached: 1},
		{name: "a full table evicts the oldest first fragment", slots: fragWays, steps: []step{
			{fragment4(t, 11, 0, true, ipUDP), u4(1011, 53, 92)},
			{fragment4(t, 12, 0, true, ipUDP), u4(1012, 53, 92)},
			{fragment4(t, 13, 0, true, ipUDP), u4(1013, 53, 92)},
			{fragment4(t, 14, 0, true, ipUDP), u4(1014, 53, 92)},
			{fragment4(t, 15, 0, true, ipUDP), u4(1015, 53, 92)},
			{fragment4(t, 11, 9, false, ipUDP), u4(0, 0, 84)},
			{fragment4(t, 12, 9, false, ipUDP), u4(1012, 53, 84)},
			{fragment4(t, 15, 9, false, ipUDP), u4(1015, 53, 84)},
		}, attached: 2, unattached: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParser(Options{FragmentSlots: tc.slots})
			for i, s := range tc.steps {
				f := capture.Frame{Data: s.frame, LinkType: capture.LinkEthernet,
					Timestamp: int64(i+1) * 1e6}
				var pkt flow.Packet
				if r := p.Parse(&f, &pkt); r != OK {
					t.Fatalf("step %d: %v", i, r)
				}
				if got := describe(&pkt); got != s.want {
					t.Errorf("step %d:\ngot  %s\nwant %s", i, got, s.want)
				}
			}
			st := p.Stats()
			if st.FragmentsAttached != tc.attached || st.FragmentsUnattached != tc.unattached {
				t.Errorf("attached %d, unattached %d; want %d, %d", st.FragmentsAttached,
					st.FragmentsUnattached, tc.attached, tc.unattached)
			}
		})
	}
}

// All fragments of a table with one bucket land in it; the bucket count must be
// a power of two whatever size is asked for.
func TestFragmentTableSize(t *testing.T) {
	for _, tc := range []struct{ ask, slots int }{
		{1, 4}, {4, 4}, {5, 8}, {100, 128}, {4096, 4096},
	} {
		var ft fragmentTable
		ft.init(tc.ask, 1)
		if len(ft.slots) != tc.slots || int(ft.mask+1)*fragWays != tc.slots {
			t.Errorf("asked %d: %d slots, mask %d; want %d slots", tc.ask, len(ft.slots),
				ft.mask, tc.slots)
		}
	}
}
