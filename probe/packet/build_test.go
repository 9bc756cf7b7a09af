package packet

import (
	"encoding/binary"
	"fmt"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// Frames for the crafted tests are built with gopacket's serializers where it has
// them, so that the bytes come from an implementation other than the parser's.

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0b}
)

// serialize lays out the layers with lengths fixed and checksums left at zero
// (the parser does not read them).
func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true},
		ls...); err != nil {
		t.Fatalf("building a frame: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func eth(et layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: et}
}

func dot1q(vlan uint16, next layers.EthernetType) *layers.Dot1Q {
	return &layers.Dot1Q{VLANIdentifier: vlan, Type: next}
}

func ip4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, Id: 0x1234,
		SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

func ip6(src, dst string, next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next,
		SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
}

func tcp(sport, dport uint16, syn, ack bool) *layers.TCP {
	return &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport),
		SYN: syn, ACK: ack, DataOffset: 5, Window: 1024}
}

func udp(sport, dport uint16) *layers.UDP {
	return &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
}

func payload(n int) gopacket.Payload { return make(gopacket.Payload, n) }

// ext6 is a raw IPv6 extension header of the generic form (next header, length
// in 8-byte units beyond the first 8), padded with zeros.
func ext6(next layers.IPProtocol, units int) gopacket.Payload {
	b := make([]byte, 8*(units+1))
	b[0], b[1] = byte(next), byte(units)
	return b
}

// ah6 is a raw IPv6 Authentication Header with a 12-byte ICV (24 bytes in all).
func ah6(next layers.IPProtocol) gopacket.Payload {
	b := make([]byte, 24)
	b[0], b[1] = byte(next), 4 // length in 4-byte units minus 2
	return b
}

// frag6 is a raw IPv6 Fragment header.
func frag6(next layers.IPProtocol, offset uint16, more bool, id uint32) gopacket.Payload {
	b := make([]byte, 8)
	b[0] = byte(next)
	binary.BigEndian.PutUint16(b[2:], offset<<3)
	if more {
		b[3] |= 1
	}
	binary.BigEndian.PutUint32(b[4:], id)
	return b
}

// sll is a Linux cooked v1 header for a frame of the given packet type.
func sll(pktType uint16, et layers.EthernetType) gopacket.Payload {
	b := make([]byte, 16)
	binary.BigEndian.PutUint16(b, pktType)
	binary.BigEndian.PutUint16(b[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(b[4:], 6)
	copy(b[6:], macA)
	binary.BigEndian.PutUint16(b[14:], uint16(et))
	return b
}

// sll2 is a Linux cooked v2 header for a frame of the given packet type.
func sll2(pktType uint8, et layers.EthernetType) gopacket.Payload {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b, uint16(et))
	binary.BigEndian.PutUint32(b[4:], 3) // interface index
	binary.BigEndian.PutUint16(b[8:], 1) // ARPHRD_ETHER
	b[10], b[11] = pktType, 6
	copy(b[12:], macA)
	return b
}

// describe renders what a test compares of a flow packet, so that table rows can
// state it in one readable string.
func describe(p *flow.Packet) string {
	s := fmt.Sprintf("v%d p%d %v:%d > %v:%d vlan %d len %d", p.IPVersion, p.Protocol,
		p.SrcIP(), p.SrcPort, p.DstIP(), p.DstPort, p.VLAN, p.IPBytes)
	if p.TCPFlags != 0 {
		s += fmt.Sprintf(" flags %#02x", p.TCPFlags)
	}
	if p.ICMPTypeCode != 0 {
		s += fmt.Sprintf(" icmp %d/%d", p.ICMPTypeCode>>8, p.ICMPTypeCode&0xff)
	}
	if p.TunnelType != flow.TunnelNone {
		outer := flow.Key{SrcAddr: p.Tunnel.SrcAddr, DstAddr: p.Tunnel.DstAddr, IPVersion: 4}
		if !outer.SrcIP().Is4() {
			outer.IPVersion = 6
		}
		s += fmt.Sprintf(" tunnel %d id %d %v > %v", p.TunnelType, p.TunnelID,
			outer.SrcIP(), outer.DstIP())
	}
	return s
}
