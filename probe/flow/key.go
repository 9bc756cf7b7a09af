package flow

import (
	"net/netip"
)

// Key identifies one direction of a flow. It is comparable and has no pointers, so it
// can be used as a map key and hashed without allocation.
//
// Addresses are stored in 16 bytes: an IPv4 address in its IPv4-mapped IPv6 form
// (::ffff:a.b.c.d), an IPv6 address as is. IPVersion says which of the two it is.
//
// For ICMP and ICMPv6 both ports are 0, so that an echo request and its reply share a
// biflow; the type and code of the first packet are kept in Record.ICMPTypeCode.
//
// A flow the parser found inside a tunnel (with decapsulation on) has the inner
// addresses and ports, and TunnelType and TunnelID say which tunnel carried it, so that
// the same inner flow in two VXLAN segments, or two GRE tunnels with different keys,
// makes two flows. Tunnels are told apart by type and ID only: the outer addresses,
// kept in Packet.Tunnel and Record.Tunnel, are not part of the key.
type Key struct {
	SrcAddr   [16]byte
	DstAddr   [16]byte
	SrcPort   uint16
	DstPort   uint16
	VLAN      uint16 // outermost VLAN ID, 0 when untagged
	Protocol  uint8  // IP protocol number
	IPVersion uint8  // 4 or 6

	TunnelID   uint32     // VXLAN VNI or GRE key, 0 when absent or outside a tunnel
	TunnelType TunnelType // TunnelNone for a flow outside any tunnel
	_          [3]byte    // always zero, so that the key compares as whole words
}

// Reverse returns the key of the opposite direction.
func (k Key) Reverse() Key {
	k.SrcAddr, k.DstAddr = k.DstAddr, k.SrcAddr
	k.SrcPort, k.DstPort = k.DstPort, k.SrcPort
	return k
}

// SrcIP returns the source address; an IPv4 address comes back as a 4-byte address.
func (k *Key) SrcIP() netip.Addr { return k.addr(&k.SrcAddr) }

// DstIP returns the destination address; an IPv4 address comes back as a 4-byte address.
func (k *Key) DstIP() netip.Addr { return k.addr(&k.DstAddr) }

func (k *Key) addr(b *[16]byte) netip.Addr {
	a := netip.AddrFrom16(*b)
	if k.IPVersion == 4 {
		return a.Unmap()
	}
	return a
}

// SetAddrs stores src and dst and sets IPVersion from them. Both must be of the same
// family; a 4-in-6 mapped address counts as IPv6.
func (k *Key) SetAddrs(src, dst netip.Addr) {
	k.IPVersion = 6
	if src.Is4() {
		k.IPVersion = 4
	}
	k.SrcAddr = src.As16()
	k.DstAddr = dst.As16()
}
