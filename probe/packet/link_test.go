package packet

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// TestLinkMetadata checks what the link layer adds besides the key: MAC
// addresses, the direction from the cooked headers' packet type, the interface.
func TestLinkMetadata(t *testing.T) {
	none := net.HardwareAddr{0, 0, 0, 0, 0, 0}
	body := l(ip4("198.18.0.1", "198.18.0.2", ipUDP), udp(1, 2))
	for _, tc := range []struct {
		name     string
		link     capture.LinkType
		header   gopacket.SerializableLayer
		src, dst net.HardwareAddr
		dir      flow.Direction
	}{
		{"ethernet", capture.LinkEthernet, eth(etIPv4), macA, macB, flow.Ingress},
		{"sll incoming", capture.LinkSLL, sll(0, etIPv4), macA, none, flow.Ingress},
		{"sll outgoing", capture.LinkSLL, sll(4, etIPv4), macA, none, flow.Egress},
		{"sll2 outgoing", capture.LinkSLL2, sll2(4, etIPv4), macA, none, flow.Egress},
		{"raw", capture.LinkRaw, gopacket.Payload(nil), none, none, flow.Ingress},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := capture.Frame{Data: serialize(t, append(l(tc.header), body...)...),
				LinkType: tc.link, IfIndex: 7}
			var pkt flow.Packet
			if r := NewParser(Options{}).Parse(&f, &pkt); r != OK {
				t.Fatalf("reason %v", r)
			}
			if net.HardwareAddr(pkt.SrcMAC[:]).String() != tc.src.String() ||
				net.HardwareAddr(pkt.DstMAC[:]).String() != tc.dst.String() {
				t.Errorf("MACs %x > %x, want %v > %v", pkt.SrcMAC, pkt.DstMAC, tc.src, tc.dst)
			}
			if pkt.Direction != tc.dir || pkt.IfIndex != 7 {
				t.Errorf("direction %d ifindex %d, want %d and 7", pkt.Direction,
					pkt.IfIndex, tc.dir)
			}
		})
	}
}

// A Parser reused for many frames must not carry state from one frame into the
// next: a tagged tunnel frame followed by a plain one.
func TestParserResetsBetweenFrames(t *testing.T) {
	p := NewParser(decap)
	tagged := serialize(t, eth(etVLAN), dot1q(9, etIPv4), outer4(layers.IPProtocolGRE),
		greHeader(etIPv4, 7), ip4("198.19.0.1", "198.19.0.2", ipUDP), udp(1, 2))
	plain := serialize(t, eth(etIPv4), ip4("198.18.0.3", "198.18.0.4", ipUDP), udp(3, 4))
	var pkt flow.Packet
	for i, data := range [][]byte{tagged, plain, tagged, plain} {
		f := capture.Frame{Data: data, LinkType: capture.LinkEthernet}
		if r := p.Parse(&f, &pkt); r != OK {
			t.Fatalf("frame %d: %v", i, r)
		}
		want := "v4 p17 198.18.0.3:3 > 198.18.0.4:4 vlan 0 len 28"
		if i%2 == 0 {
			want = "v4 p17 198.19.0.1:1 > 198.19.0.2:2 vlan 9 len 28 " +
				"tunnel 1 id 7 198.18.0.1 > 198.18.0.2"
		}
		if got := describe(&pkt); got != want {
			t.Errorf("frame %d:\ngot  %s\nwant %s", i, got, want)
		}
	}
}
