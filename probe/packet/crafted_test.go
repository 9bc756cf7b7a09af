package packet

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// Shorthands for the EtherTypes and IP protocols the table uses most.
const (
	etIPv4 = layers.EthernetTypeIPv4
	etIPv6 = layers.EthernetTypeIPv6
	etVLAN = layers.EthernetTypeDot1Q
	ipTCP  = layers.IPProtocolTCP
	ipUDP  = layers.IPProtocolUDP
)

// cut keeps the first n bytes of a frame.
func cut(n int) func([]byte) []byte { return func(b []byte) []byte { return b[:n] } }

// poke overwrites bytes of a frame at off.
func poke(off int, v ...byte) func([]byte) []byte {
	return func(b []byte) []byte { copy(b[off:], v); return b }
}

type craftedCase struct {
	name string
	link capture.LinkType // Ethernet when zero, unless null is set
	null bool             // LinkNull, whose value is also zero
	// wireLen is the frame's length on the wire, when it differs from its bytes.
	wireLen int
	layers  []gopacket.SerializableLayer
	mutate  func([]byte) []byte
	opts    Options
	reason  Reason
	want    string // describe() of the flow packet when reason is OK
	// l4Missing says the transport header is expected to be unreadable.
	l4Missing bool
	// decapFailed says a tunnel is expected to stay the outer flow.
	decapFailed bool
}

func l(ls ...gopacket.SerializableLayer) []gopacket.SerializableLayer { return ls }

var craftedCases = []craftedCase{
	// Plain IPv4 and its transports.
	{name: "ipv4 tcp syn", layers: l(eth(etIPv4), ip4("198.18.0.1", "198.18.0.2", ipTCP),
		tcp(40000, 80, true, false)),
		want: "v4 p6 198.18.0.1:40000 > 198.18.0.2:80 vlan 0 len 40 flags 0x02"},
	{name: "ipv4 udp with options", layers: l(eth(etIPv4), &layers.IPv4{Version: 4, TTL: 1,
		Protocol: ipUDP, SrcIP: []byte{198, 18, 0, 1}, DstIP: []byte{198, 18, 0, 2},
		Options: []layers.IPv4Option{{OptionType: 0x94, OptionLength: 4,
			OptionData: []byte{0, 0}}}}, udp(5353, 53), payload(10)),
		want: "v4 p17 198.18.0.1:5353 > 198.18.0.2:53 vlan 0 len 42"},
	{name: "ipv4 icmp echo", layers: l(eth(etIPv4), ip4("198.18.0.1", "198.18.0.2",
		layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)},
		payload(8)),
		want: "v4 p1 198.18.0.1:0 > 198.18.0.2:0 vlan 0 len 36 icmp 8/0"},
	{name: "ipv4 sctp", layers: l(eth(etIPv4), ip4("198.18.0.1", "198.18.0.2",
		layers.IPProtocolSCTP), &layers.SCTP{SrcPort: 2905, DstPort: 2906}),
		want: "v4 p132 198.18.0.1:2905 > 198.18.0.2:2906 vlan 0 len 32"},
	{name: "ipv4 other protocol", layers: l(eth(etIPv4), ip4("198.18.0.1", "198.18.0.2",
		layers.IPProtocolIGMP), payload(8)),
		want: "v4 p2 198.18.0.1:0 > 198.18.0.2:0 vlan 0 len 28"},
	{name: "ipv4 capture shorter than the packet", layers: l(eth(etIPv4),
		ip4("198.18.0.1", "198.18.0.2", ipTCP), tcp(1, 2, false, true), payload(1400)),
		mutate: cut(14 + 40),
		want:   "v4 p6 198.18.0.1:1 > 198.18.0.2:2 vlan 0 len 1440 flags 0x10"},

	{name: "ipv4 big tcp", layers: l(eth(etIPv4), ip4("198.18.0.1", "198.18.0.2", ipTCP),
		tcp(1, 2, false, true)), mutate: poke(16, 0, 0), wireLen: 70000,
		want: "v4 p6 198.18.0.1:1 > 198.18.0.2:2 vlan 0 len 69986 flags 0x10"},
	{name: "ipv4 total length 0 on a small frame", layers: l(eth(etIPv4),
		ip4("198.18.0.1", "198.18.0.2", ipTCP), tcp(1, 2, false, true)),
		mutate: poke(16, 0, 0), wireLen: 65535, reason: BadHeader},

	// IPv6 and its extension headers.
	{name: "ipv6 tcp", layers: l(eth(etIPv6), ip6("2001:db8::1", "2001:db8::2", ipTCP),
		tcp(40000, 443, true, true)),
		want: "v6 p6 2001:db8::1:40000 > 2001:db8::2:443 vlan 0 len 60 flags 0x12"},
	{name: "ipv6 hop-by-hop, destination, routing", layers: l(eth(etIPv6),
		ip6("2001:db8::1", "2001:db8::2", layers.IPProtocolIPv6HopByHop),
		ext6(layers.IPProtocolIPv6Destination, 0), ext6(layers.IPProtocolIPv6Routing, 1),
		ext6(ipUDP, 2), udp(1000, 2000)),
		want: "v6 p17 2001:db8::1:1000 > 2001:db8::2:2000 vlan 0 len 96"},
	{name: "ipv6 ah icmpv6 echo", layers: l(eth(etIPv6), ip6("2001:db8::1", "2001:db8::2",
		layers.IPProtocolAH), ah6(layers.IPProtocolICMPv6),
		&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}, payload(4)),
		want: "v6 p58 2001:db8::1:0 > 2001:db8::2:0 vlan 0 len 72 icmp 128/0"},
	{name: "ipv6 more extension headers than walked", layers: l(eth(etIPv6),
		ip6("2001:db8::1", "2001:db8::2", layers.IPProtocolIPv6Destination),
		ext6(60, 0), ext6(60, 0), ext6(60, 0), ext6(60, 0), ext6(60, 0), ext6(60, 0),
		ext6(60, 0), ext6(60, 0), ext6(ipUDP, 0), udp(1, 2)),
		l4Missing: true, want: "v6 p60 2001:db8::1:0 > 2001:db8::2:0 vlan 0 len 120"},
	{name: "ipv6 big tcp", layers: l(eth(etIPv6), ip6("2001:db8::1", "2001:db8::2", ipTCP),
		tcp(1, 2, false, true)), mutate: poke(18, 0, 0), wireLen: 100000,
		want: "v6 p6 2001:db8::1:1 > 2001:db8::2:2 vlan 0 len 99986 flags 0x10"},
	{name: "ipv6 no next header", layers: l(eth(etIPv6), ip6("2001:db8::1", "2001:db8::2",
		layers.IPProtocolNoNextHeader)),
		want: "v6 p59 2001:db8::1:0 > 2001:db8::2:0 vlan 0 len 40"},
	{name: "ipv6 esp", layers: l(eth(etIPv6), ip6("2001:db8::1", "2001:db8::2",
		layers.IPProtocolESP), payload(40)),
		want: "v6 p50 2001:db8::1:0 > 2001:db8::2:0 vlan 0 len 80"},
	{name: "ipv6 atomic fragment", layers: l(eth(etIPv6), ip6("2001:db8::1", "2001:db8::2",
		layers.IPProtocolIPv6Fragment), frag6(ipUDP, 0, false, 9), udp(7, 8)),
		want: "v6 p17 2001:db8::1:7 > 2001:db8::2:8 vlan 0 len 56"},
	// The next-header field of the cut header was captured, so the protocol is known.
	{name: "ipv6 extension header cut by the capture", layers: l(eth(etIPv6),
		ip6("2001:db8::1", "2001:db8::2", 0), ext6(ipTCP, 3), tcp(1, 2, true, false)),
		mutate:    cut(14 + 40 + 16),
		l4Missing: true, want: "v6 p6 2001:db8::1:0 > 2001:db8::2:0 vlan 0 len 92"},

	// VLAN tags, MPLS, PPPoE.
	{name: "802.1q", layers: l(eth(etVLAN), dot1q(100, etIPv4),
		ip4("198.18.0.1", "198.18.0.2", ipUDP), udp(1, 2)),
		want: "v4 p17 198.18.0.1:1 > 198.18.0.2:2 vlan 100 len 28"},
	{name: "802.1ad outer tag wins", layers: l(eth(layers.EthernetTypeQinQ),
		dot1q(200, etVLAN), dot1q(100, etIPv4), ip4("198.18.0.1", "198.18.0.2", ipUDP),
		udp(1, 2)),
		want: "v4 p17 198.18.0.1:1 > 198.18.0.2:2 vlan 200 len 28"},
	{name: "four tags", layers: l(eth(etVLAN), dot1q(1, etVLAN), dot1q(2, etVLAN),
		dot1q(3, etVLAN), dot1q(4, etIPv6), ip6("2001:db8::1", "2001:db8::2", ipUDP),
		udp(1, 2)),
		want: "v6 p17 2001:db8::1:1 > 2001:db8::2:2 vlan 1 len 48"},
	{name: "five tags", layers: l(eth(etVLAN), dot1q(1, etVLAN), dot1q(2, etVLAN),
		dot1q(3, etVLAN), dot1q(4, etVLAN), dot1q(5, etIPv4),
		ip4("198.18.0.1", "198.18.0.2", ipUDP), udp(1, 2)),
		reason: Unsupported},
	{name: "mpls two labels ipv4", layers: l(eth(layers.EthernetTypeMPLSUnicast),
		&layers.MPLS{Label: 16, TTL: 64}, &layers.MPLS{Label: 17, StackBottom: true, TTL: 64},
		ip4("198.18.0.1", "198.18.0.2", ipTCP), tcp(1, 2, true, false)),
		want: "v4 p6 198.18.0.1:1 > 198.18.0.2:2 vlan 0 len 40 flags 0x02"},
	{name: "mpls ipv6", layers: l(eth(layers.EthernetTypeMPLSUnicast),
		&layers.MPLS{Label: 16, StackBottom: true}, ip6("2001:db8::1", "2001:db8::2", ipUDP),
		udp(1, 2)),
		want: "v6 p17 2001:db8::1:1 > 2001:db8::2:2 vlan 0 len 48"},
	{name: "mpls ethernet pseudowire", layers: l(eth(layers.EthernetTypeMPLSUnicast),
		&layers.MPLS{Label: 16, StackBottom: true}, payload(4), eth(etVLAN),
		dot1q(7, etIPv4), ip4("198.18.1.1", "198.18.1.2", ipUDP), udp(1, 2)),
		want: "v4 p17 198.18.1.1:1 > 198.18.1.2:2 vlan 7 len 28"},
	{name: "mpls pseudowire without control word", layers: l(
		eth(layers.EthernetTypeMPLSUnicast), &layers.MPLS{Label: 16, StackBottom: true},
		&layers.Ethernet{SrcMAC: macA, DstMAC: []byte{0x12, 0, 0, 0, 0, 1},
			EthernetType: etIPv4}, ip4("198.18.1.1", "198.18.1.2", ipUDP), udp(1, 2)),
		reason: Unsupported},
	{name: "four nested ethernet headers", layers: l(eth(layers.EthernetTypeMPLSUnicast),
		&layers.MPLS{StackBottom: true}, payload(4), eth(layers.EthernetTypeMPLSUnicast),
		&layers.MPLS{StackBottom: true}, payload(4), eth(layers.EthernetTypeMPLSUnicast),
		&layers.MPLS{StackBottom: true}, payload(4), eth(etIPv4),
		ip4("198.18.1.1", "198.18.1.2", ipUDP), udp(1, 2)),
		reason: Unsupported},
	{name: "three nested ethernet headers", layers: l(eth(layers.EthernetTypeMPLSUnicast),
		&layers.MPLS{StackBottom: true}, payload(4), eth(layers.EthernetTypeMPLSUnicast),
		&layers.MPLS{StackBottom: true}, payload(4), eth(etIPv4),
		ip4("198.18.1.1", "198.18.1.2", ipUDP), udp(1, 2)),
		want: "v4 p17 198.18.1.1:1 > 198.18.1.2:2 vlan 0 len 28"},
	{name: "mpls nine labels", layers: l(eth(layers.EthernetTypeMPLSUnicast),
		&layers.MPLS{}, &layers.MPLS{}, &layers.MPLS{}, &layers.MPLS{}, &layers.MPLS{},
		&layers.MPLS{}, &layers.MPLS{}, &layers.MPLS{}, &layers.MPLS{StackBottom: true},
		ip4("198.18.0.1", "198.18.0.2", ipUDP), udp(1, 2)),
		reason: Unsupported},
	{name: "pppoe ipv4", layers: l(eth(layers.EthernetTypePPPoESession),
		&layers.PPPoE{Version: 1, Type: 1, Code: layers.PPPoECodeSession, SessionId: 7},
		&layers.PPP{PPPType: layers.PPPTypeIPv4}, ip4("198.18.0.1", "198.18.0.2", ipUDP),
		udp(1, 2)),
		want: "v4 p17 198.18.0.1:1 > 198.18.0.2:2 vlan 0 len 28"},
	{name: "pppoe ipv6", layers: l(eth(layers.EthernetTypePPPoESession),
		&layers.PPPoE{Version: 1, Type: 1, Code: layers.PPPoECodeSession, SessionId: 7},
		&layers.PPP{PPPType: layers.PPPTypeIPv6}, ip6("2001:db8::1", "2001:db8::2", ipTCP),
		tcp(1, 2, false, true)),
		want: "v6 p6 2001:db8::1:1 > 2001:db8::2:2 vlan 0 len 60 flags 0x10"},
	{name: "pppoe lcp", layers: l(eth(layers.EthernetTypePPPoESession),
		&layers.PPPoE{Version: 1, Type: 1, Code: layers.PPPoECodeSession},
		&layers.PPP{PPPType: 0xc021}, payload(10)),
		reason: NotIP},

	// Not IP.
	{name: "arp", layers: l(eth(layers.EthernetTypeARP), &layers.ARP{AddrType: 1,
		Protocol: etIPv4, HwAddressSize: 6, ProtAddressSize: 4, SourceHwAddress: macA,
		SourceProtAddress: []byte{198, 18, 0, 1}, DstHwAddress: macB,
		DstProtAddress: []byte{198, 18, 0, 2}}),
		reason: NotIP},
	{name: "802.3 llc", layers: l(&layers.Ethernet{SrcMAC: macA, DstMAC: macB,
		EthernetType: layers.EthernetTypeLLC, Length: 1}, &layers.LLC{DSAP: 0x42, SSAP: 0x42,
		Control: 3}, payload(35)),
		reason: NotIP},
	{name: "pppoe discovery", layers: l(eth(layers.EthernetTypePPPoEDiscovery),
		&layers.PPPoE{Version: 1, Type: 1, Code: layers.PPPoECodePADI}),
		reason: NotIP},

	// Other link types.
	{name: "sll ipv4", link: capture.LinkSLL, layers: l(sll(0, etIPv4),
		ip4("198.18.0.1", "198.18.0.2", ipUDP), udp(1, 2)),
		want: "v4 p17 198.18.0.1:1 > 198.18.0.2:2 vlan 0 len 28"},
	{name: "sll vlan", link: capture.LinkSLL, layers: l(sll(0, etVLAN), dot1q(5, etIPv4),
		ip4("198.18.0.1", "198.18.0.2", ipUDP), udp(1, 2)),
		want: "v4 p17 198.18.0.1:1 > 198.18.0.2:2 vlan 5 len 28"},
	{name: "sll2 ipv6", link: capture.LinkSLL2, layers: l(sll2(4, etIPv6),
		ip6("2001:db8::1", "2001:db8::2", ipTCP), tcp(1, 2, true, false)),
		want: "v6 p6 2001:db8::1:1 > 2001:db8::2:2 vlan 0 len 60 flags 0x02"},
	{name: "sll2 arp", link: capture.LinkSLL2, layers: l(sll2(0, layers.EthernetTypeARP),
		payload(28)),
		reason: NotIP},
	{name: "raw ipv4", link: capture.LinkRaw, layers: l(ip4("198.18.0.1", "198.18.0.2",
		ipUDP), udp(1, 2)),
		want: "v4 p17 198.18.0.1:1 > 198.18.0.2:2 vlan 0 len 28"},
	{name: "raw ipv6", link: capture.LinkRaw, layers: l(ip6("2001:db8::1", "2001:db8::2",
		ipUDP), udp(1, 2)),
		want: "v6 p17 2001:db8::1:1 > 2001:db8::2:2 vlan 0 len 48"},
	{name: "raw version 5", link: capture.LinkRaw, layers: l(payload(40)),
		mutate: poke(0, 0x50), reason: BadHeader},
	{name: "null ipv4 little endian", null: true, layers: l(
		&layers.Loopback{Family: layers.ProtocolFamilyIPv4},
		ip4("198.18.0.1", "198.18.0.2", ipUDP), udp(1, 2)),
		want: "v4 p17 198.18.0.1:1 > 198.18.0.2:2 vlan 0 len 28"},
	{name: "null ipv6 big endian", null: true, layers: l(payload(4),
		ip6("2001:db8::1", "2001:db8::2", ipUDP), udp(1, 2)),
		mutate: poke(0, 0, 0, 0, 30),
		want:   "v6 p17 2001:db8::1:1 > 2001:db8::2:2 vlan 0 len 48"},
	{name: "null other family", null: true, layers: l(payload(40)),
		mutate: poke(0, 7), reason: NotIP},
	{name: "unknown link type", link: 147, layers: l(payload(40)), reason: Unsupported},

	// Malformed and truncated.
	{name: "empty ethernet", layers: l(payload(0)), mutate: cut(0), reason: Truncated},
	{name: "short ethernet", layers: l(eth(etIPv4)), mutate: cut(13), reason: Truncated},
	{name: "short sll", link: capture.LinkSLL, layers: l(sll(0, etIPv4)),
		mutate: cut(15), reason: Truncated},
	{name: "short sll2", link: capture.LinkSLL2, layers: l(sll2(0, etIPv4)),
		mutate: cut(19), reason: Truncated},
	{name: "short null", null: true, layers: l(payload(3)), reason: Truncated},
	{name: "ipv4 header cut", layers: l(eth(etIPv4), ip4("198.18.0.1", "198.18.0.2",
		ipUDP), udp(1, 2)), mutate: cut(14 + 19), reason: Truncated},
	{name: "ipv4 options cut", layers: l(eth(etIPv4), ip4("198.18.0.1", "198.18.0.2",
		ipUDP)), mutate: func(b []byte) []byte { b[14], b[17] = 0x46, 24; return b[:14+22] },
		reason: Truncated},
	{name: "ipv4 header length 16", layers: l(eth(etIPv4), ip4("198.18.0.1", "198.18.0.2",
		ipUDP), udp(1, 2)), mutate: poke(14, 0x44), reason: BadHeader},
	{name: "ipv4 total length under header", layers: l(eth(etIPv4),
		ip4("198.18.0.1", "198.18.0.2", ipUDP), udp(1, 2)), mutate: poke(16, 0, 19),
		reason: BadHeader},
	{name: "ipv6 ethertype with ipv4 inside", layers: l(eth(etIPv6),
		ip4("198.18.0.1", "198.18.0.2", ipUDP), udp(1, 2), payload(20)),
		reason: BadHeader},
	{name: "ipv6 header cut", layers: l(eth(etIPv6), ip6("2001:db8::1", "2001:db8::2",
		ipUDP), udp(1, 2)), mutate: cut(14 + 39), reason: Truncated},
	{name: "vlan tag cut", layers: l(eth(etVLAN), dot1q(1, etIPv4)), mutate: cut(16),
		reason: Truncated},
	{name: "mpls label cut", layers: l(eth(layers.EthernetTypeMPLSUnicast),
		&layers.MPLS{Label: 3}), mutate: cut(17), reason: Truncated},
	{name: "pppoe header cut", layers: l(eth(layers.EthernetTypePPPoESession),
		&layers.PPPoE{Version: 1, Type: 1}), mutate: cut(20), reason: Truncated},
	{name: "pppoe bad version", layers: l(eth(layers.EthernetTypePPPoESession),
		&layers.PPPoE{Version: 2, Type: 1}, &layers.PPP{PPPType: layers.PPPTypeIPv4},
		ip4("198.18.0.1", "198.18.0.2", ipUDP)), reason: BadHeader},
	{name: "tcp header cut keeps the flow without ports", layers: l(eth(etIPv4),
		ip4("198.18.0.1", "198.18.0.2", ipTCP), tcp(1, 2, true, false)),
		mutate:    cut(14 + 20 + 19),
		l4Missing: true, want: "v4 p6 198.18.0.1:0 > 198.18.0.2:0 vlan 0 len 40"},
	{name: "udp beyond the ip total length", layers: l(eth(etIPv4),
		ip4("198.18.0.1", "198.18.0.2", ipUDP), udp(1, 2)), mutate: poke(16, 0, 24),
		l4Missing: true, want: "v4 p17 198.18.0.1:0 > 198.18.0.2:0 vlan 0 len 24"},
	{name: "icmp cut", layers: l(eth(etIPv4), ip4("198.18.0.1", "198.18.0.2",
		layers.IPProtocolICMPv4), payload(3)), mutate: cut(14 + 23),
		l4Missing: true, want: "v4 p1 198.18.0.1:0 > 198.18.0.2:0 vlan 0 len 23"},
}

func TestCraftedFrames(t *testing.T) {
	for _, tc := range append(craftedCases, tunnelCases...) {
		t.Run(tc.name, func(t *testing.T) {
			link := tc.link
			if link == 0 && !tc.null {
				link = capture.LinkEthernet
			}
			data := serialize(t, tc.layers...)
			if tc.mutate != nil {
				data = tc.mutate(data)
			}
			p := NewParser(tc.opts)
			f := capture.Frame{Data: data, LinkType: link, Timestamp: 1e18,
				WireLen: max(tc.wireLen, len(data))}
			var pkt flow.Packet
			r := p.Parse(&f, &pkt)
			if r != tc.reason {
				t.Fatalf("reason %v, want %v (packet %s)", r, tc.reason, describe(&pkt))
			}
			if r == OK {
				if got := describe(&pkt); got != tc.want {
					t.Errorf("got  %s\nwant %s", got, tc.want)
				}
				if pkt.Timestamp != f.Timestamp {
					t.Errorf("timestamp %d, want %d", pkt.Timestamp, f.Timestamp)
				}
			}
			st := p.Stats()
			if (st.L4Missing == 1) != tc.l4Missing {
				t.Errorf("L4Missing %d, want it set: %v", st.L4Missing, tc.l4Missing)
			}
			if (st.DecapsulationFailed == 1) != tc.decapFailed {
				t.Errorf("DecapsulationFailed %d, want it set: %v",
					st.DecapsulationFailed, tc.decapFailed)
			}
			if st.Frames != 1 || st.Reasons[r] != 1 {
				t.Errorf("stats %+v do not count the frame under %v", st, r)
			}
		})
	}
}
