package packet

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
)

var decap = Options{Decapsulate: true}

// gre returns a GRE header carrying the given EtherType.
func greHeader(proto layers.EthernetType, key uint32) *layers.GRE {
	return &layers.GRE{Protocol: proto, KeyPresent: key != 0, Key: key}
}

func vxlanHeader(vni uint32) *layers.VXLAN {
	return &layers.VXLAN{ValidIDFlag: true, VNI: vni}
}

func outer4(proto layers.IPProtocol) *layers.IPv4 { return ip4("198.18.0.1", "198.18.0.2", proto) }

// tunnelCases run through TestCraftedFrames with the other crafted frames.
// gopacket pads every Ethernet frame it builds to 60 bytes, inner ones too, which
// is why an outer UDP packet around a 42-byte inner frame is 96 bytes long.
var tunnelCases = []craftedCase{
	{name: "gre key ipv4 decapsulated", opts: decap, layers: l(eth(etIPv4),
		outer4(layers.IPProtocolGRE), greHeader(etIPv4, 7),
		ip4("198.19.0.1", "198.19.0.2", ipUDP), udp(1, 2)),
		want: "v4 p17 198.19.0.1:1 > 198.19.0.2:2 vlan 0 len 28 " +
			"tunnel 1 id 7 198.18.0.1 > 198.18.0.2"},
	{name: "gre not decapsulated", layers: l(eth(etIPv4), outer4(layers.IPProtocolGRE),
		greHeader(etIPv4, 7), ip4("198.19.0.1", "198.19.0.2", ipUDP), udp(1, 2)),
		want: "v4 p47 198.18.0.1:0 > 198.18.0.2:0 vlan 0 len 56"},
	{name: "gre checksum and sequence", opts: decap, layers: l(eth(etIPv4),
		outer4(layers.IPProtocolGRE), &layers.GRE{Protocol: etIPv4, ChecksumPresent: true,
			SeqPresent: true, Seq: 5}, ip4("198.19.0.1", "198.19.0.2", ipTCP),
		tcp(1, 2, true, false)),
		want: "v4 p6 198.19.0.1:1 > 198.19.0.2:2 vlan 0 len 40 flags 0x02 " +
			"tunnel 1 id 0 198.18.0.1 > 198.18.0.2"},
	{name: "gre over ipv6 carrying ipv6", opts: decap, layers: l(eth(etIPv6),
		ip6("2001:db8::1", "2001:db8::2", layers.IPProtocolGRE), greHeader(etIPv6, 0),
		ip6("2001:db8:1::1", "2001:db8:1::2", ipUDP), udp(1, 2)),
		want: "v6 p17 2001:db8:1::1:1 > 2001:db8:1::2:2 vlan 0 len 48 " +
			"tunnel 1 id 0 2001:db8::1 > 2001:db8::2"},
	{name: "gre transparent ethernet bridging", opts: decap, layers: l(eth(etIPv4),
		outer4(layers.IPProtocolGRE), greHeader(layers.EthernetTypeTransparentEthernetBridging,
			9), eth(etVLAN), dot1q(9, etIPv4), ip4("198.19.0.1", "198.19.0.2", ipUDP),
		udp(1, 2)),
		want: "v4 p17 198.19.0.1:1 > 198.19.0.2:2 vlan 9 len 28 " +
			"tunnel 1 id 9 198.18.0.1 > 198.18.0.2"},
	{name: "gre erspan stays outer", opts: decap, decapFailed: true, layers: l(eth(etIPv4),
		outer4(layers.IPProtocolGRE), greHeader(layers.EthernetTypeERSPAN, 0), payload(40)),
		want: "v4 p47 198.18.0.1:0 > 198.18.0.2:0 vlan 0 len 64"},
	{name: "gre version 1 stays outer", opts: decap, decapFailed: true, layers: l(
		eth(etIPv4), outer4(layers.IPProtocolGRE), &layers.GRE{Version: 1, Protocol: etIPv4},
		ip4("198.19.0.1", "198.19.0.2", ipUDP), udp(1, 2)),
		want: "v4 p47 198.18.0.1:0 > 198.18.0.2:0 vlan 0 len 52"},
	{name: "gre inner header cut stays outer", opts: decap, decapFailed: true, layers: l(
		eth(etIPv4), outer4(layers.IPProtocolGRE), greHeader(etIPv4, 0),
		ip4("198.19.0.1", "198.19.0.2", ipUDP), udp(1, 2)), mutate: cut(14 + 20 + 4 + 10),
		want: "v4 p47 198.18.0.1:0 > 198.18.0.2:0 vlan 0 len 52"},
	{name: "vxlan decapsulated", opts: decap, layers: l(eth(etIPv4), outer4(ipUDP),
		udp(50000, 4789), vxlanHeader(42), eth(etIPv6),
		ip6("2001:db8::1", "2001:db8::2", ipTCP), tcp(1, 2, false, true)),
		want: "v6 p6 2001:db8::1:1 > 2001:db8::2:2 vlan 0 len 60 flags 0x10 " +
			"tunnel 2 id 42 198.18.0.1 > 198.18.0.2"},
	{name: "vxlan not decapsulated", layers: l(eth(etIPv4), outer4(ipUDP), udp(50000, 4789),
		vxlanHeader(42), eth(etIPv4), ip4("198.19.0.1", "198.19.0.2", ipUDP), udp(1, 2)),
		want: "v4 p17 198.18.0.1:50000 > 198.18.0.2:4789 vlan 0 len 96"},
	{name: "vxlan without valid vni stays outer", opts: decap, decapFailed: true,
		layers: l(eth(etIPv4), outer4(ipUDP), udp(50000, 4789), &layers.VXLAN{VNI: 3},
			eth(etIPv4), ip4("198.19.0.1", "198.19.0.2", ipUDP), udp(1, 2)),
		want: "v4 p17 198.18.0.1:50000 > 198.18.0.2:4789 vlan 0 len 96"},
	{name: "vxlan carrying arp stays outer", opts: decap, decapFailed: true, layers: l(
		eth(etIPv4), outer4(ipUDP), udp(50000, 4789), vxlanHeader(42),
		eth(layers.EthernetTypeARP), payload(28)),
		want: "v4 p17 198.18.0.1:50000 > 198.18.0.2:4789 vlan 0 len 96"},
	{name: "vxlan inside gre is one level deep", opts: decap, layers: l(eth(etIPv4),
		outer4(layers.IPProtocolGRE), greHeader(etIPv4, 0),
		ip4("198.19.0.1", "198.19.0.2", ipUDP), udp(50000, 4789), vxlanHeader(42),
		eth(etIPv4), ip4("198.20.0.1", "198.20.0.2", ipUDP), udp(1, 2)),
		want: "v4 p17 198.19.0.1:50000 > 198.19.0.2:4789 vlan 0 len 96 " +
			"tunnel 1 id 0 198.18.0.1 > 198.18.0.2"},
	{name: "fragmented gre stays outer", opts: decap, layers: l(eth(etIPv4),
		&layers.IPv4{Version: 4, TTL: 9, Protocol: layers.IPProtocolGRE,
			Flags: layers.IPv4MoreFragments, SrcIP: []byte{198, 18, 0, 1},
			DstIP: []byte{198, 18, 0, 2}}, greHeader(etIPv4, 0),
		ip4("198.19.0.1", "198.19.0.2", ipUDP), udp(1, 2)),
		want: "v4 p47 198.18.0.1:0 > 198.18.0.2:0 vlan 0 len 52"},
	{name: "sll gre decapsulated", link: capture.LinkSLL, opts: decap, layers: l(
		sll(0, etIPv4), outer4(layers.IPProtocolGRE), greHeader(etIPv4, 0),
		ip4("198.19.0.1", "198.19.0.2", ipUDP), udp(1, 2)),
		want: "v4 p17 198.19.0.1:1 > 198.19.0.2:2 vlan 0 len 28 " +
			"tunnel 1 id 0 198.18.0.1 > 198.18.0.2"},
}

// TestFragmentsStayInTheirTunnel sends the first fragment of a datagram in one VXLAN
// segment and a later fragment with the same inner addresses and IP ID in another,
// as two tenants reusing addresses may: the later fragment must not take the ports
// of the other segment's datagram.
func TestFragmentsStayInTheirTunnel(t *testing.T) {
	inner := func(offset uint16) *layers.IPv4 {
		h := ip4("10.0.0.1", "10.0.0.2", ipUDP)
		h.Id = 77
		h.FragOffset = offset
		if offset == 0 {
			h.Flags = layers.IPv4MoreFragments
		}
		return h
	}
	inSegment := func(vni uint32, more ...gopacket.SerializableLayer) []byte {
		return serialize(t, append(l(eth(etIPv4), outer4(ipUDP), udp(50000, 4789),
			vxlanHeader(vni), eth(etIPv4)), more...)...)
	}
	frames := []struct {
		data  []byte
		vni   uint32
		sport uint16
	}{
		{inSegment(100, inner(0), udp(1111, 53), payload(64)), 100, 1111},
		{inSegment(200, inner(8), payload(64)), 200, 0},
		{inSegment(100, inner(8), payload(64)), 100, 1111},
	}
	p := NewParser(decap)
	var pkt flow.Packet
	for i, f := range frames {
		frame := capture.Frame{Data: f.data, Timestamp: int64(i + 1),
			LinkType: capture.LinkEthernet}
		if r := p.Parse(&frame, &pkt); r != OK {
			t.Fatalf("frame %d: %v", i, r)
		}
		if pkt.TunnelID != f.vni || pkt.SrcPort != f.sport {
			t.Errorf("frame %d parsed as %s; want VNI %d, source port %d", i, describe(&pkt),
				f.vni, f.sport)
		}
	}
	if st := p.Stats(); st.FragmentsAttached != 1 || st.FragmentsUnattached != 1 {
		t.Errorf("%d fragments attached and %d not, want 1 and 1", st.FragmentsAttached,
			st.FragmentsUnattached)
	}
}
