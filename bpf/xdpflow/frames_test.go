package xdpflow

import (
	"encoding/binary"
	"net/netip"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// The frame builders below write headers byte by byte so that tests can also make
// frames no library would: cut short, with a wrong length, with too many headers.

var (
	testSrcMAC = [6]byte{0x02, 0, 0, 0, 0, 0x01}
	testDstMAC = [6]byte{0x02, 0, 0, 0, 0, 0x02}
)

// ether returns an Ethernet header with the given VLAN IDs (outermost first, the
// first tagged 802.1ad when there are several) and EtherType.
func ether(etherType uint16, vlans ...uint16) []byte {
	b := append(testDstMAC[:], testSrcMAC[:]...)
	for i, id := range vlans {
		tpid := uint16(0x8100)
		if i == 0 && len(vlans) > 1 {
			tpid = 0x88a8
		}
		b = binary.BigEndian.AppendUint16(b, tpid)
		b = binary.BigEndian.AppendUint16(b, id)
	}
	return binary.BigEndian.AppendUint16(b, etherType)
}

// ipv4 returns an IPv4 header with optWords 32-bit words of options (NOPs) and the
// given fragment field, followed by payload.
func ipv4(proto uint8, src, dst string, optWords int, frag uint16, payload []byte) []byte {
	hl := 20 + 4*optWords
	b := make([]byte, hl, hl+len(payload))
	b[0] = 0x40 | byte(hl/4)
	binary.BigEndian.PutUint16(b[2:], uint16(hl+len(payload)))
	binary.BigEndian.PutUint16(b[6:], frag)
	b[8] = 64
	b[9] = proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	for i := 20; i < hl; i++ {
		b[i] = 1 // NOP option
	}
	return append(b, payload...)
}

// ipv6 returns an IPv6 header with the given next header, followed by payload.
func ipv6(next uint8, src, dst string, payload []byte) []byte {
	b := make([]byte, 40, 40+len(payload))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
	b[6] = next
	b[7] = 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	return append(b, payload...)
}

// extHeader returns an 8-byte IPv6 options extension header (hop-by-hop, routing or
// destination options) followed by payload.
func extHeader(next uint8, payload []byte) []byte {
	return append([]byte{next, 0, 1, 4, 0, 0, 0, 0}, payload...)
}

// fragHeader returns an IPv6 fragment header at byte offset off, followed by payload.
func fragHeader(next uint8, off uint16, more bool, payload []byte) []byte {
	field := off &^ 7
	if more {
		field |= 1
	}
	b := []byte{next, 0, byte(field >> 8), byte(field), 0, 0, 0, 7}
	return append(b, payload...)
}

// tcp returns a 20-byte TCP header with the given flags and payload.
func tcp(sport, dport uint16, flags uint8, payload int) []byte {
	b := make([]byte, 20+payload)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	b[12] = 5 << 4
	b[13] = flags
	return b
}

// udp returns a UDP header and payload; SCTP's common header starts the same way.
func udp(sport, dport uint16, payload int) []byte {
	b := make([]byte, 8+payload)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], uint16(8+payload))
	return b
}

// icmp returns an ICMP or ICMPv6 echo header.
func icmp(typ, code uint8) []byte {
	return []byte{typ, code, 0, 0, 0, 1, 0, 1}
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// key builds the flow key the program should produce.
func key(src, dst string, sport, dport uint16, proto uint8, vlan uint16) flow.Key {
	var k flow.Key
	k.SetAddrs(netip.MustParseAddr(src), netip.MustParseAddr(dst))
	k.SrcPort, k.DstPort, k.Protocol, k.VLAN = sport, dport, proto, vlan
	return k
}

// mpls returns n MPLS label entries, the last with the bottom-of-stack bit.
func mpls(n int) []byte {
	var b []byte
	for i := range n {
		e := []byte{0, 0x10, 0, 64}
		if i == n-1 {
			e[2] |= 1
		}
		b = append(b, e...)
	}
	return b
}

// pppoe returns a PPPoE session header carrying the PPP protocol proto.
func pppoe(proto uint16, payloadLen int) []byte {
	b := []byte{0x11, 0, 0, 1}
	b = binary.BigEndian.AppendUint16(b, uint16(payloadLen+2))
	return binary.BigEndian.AppendUint16(b, proto)
}

// withID sets the identification field of the IPv4 header at the start of b.
func withID(b []byte, id uint16) []byte {
	binary.BigEndian.PutUint16(b[4:], id)
	return b
}
