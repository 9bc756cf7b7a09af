package unirec

import (
	"fmt"
	"net/netip"
	"strings"
)

// EncodeIP returns the 16-byte UniRec form of a: an IPv4 address as eight zero
// bytes, the address, then ff ff ff ff; an IPv6 address (IPv4-mapped ones included)
// as its 16 bytes. The zero Addr encodes as all zeros, which reads back as "::".
func EncodeIP(a netip.Addr) [16]byte {
	var b [16]byte
	if a.Is4() {
		v4 := a.As4()
		copy(b[8:12], v4[:])
		b[12], b[13], b[14], b[15] = 0xff, 0xff, 0xff, 0xff
		return b
	}
	if a.Is6() {
		return a.As16()
	}
	return b
}

// DecodeIP reverses EncodeIP. As in C, bytes are IPv4 exactly when the first eight
// are zero and the last four are ff; so the IPv6 address ::a:b:ffff:ffff cannot be
// told from IPv4 a.b and reads back as IPv4.
func DecodeIP(b [16]byte) netip.Addr {
	if isIPv4(b) {
		return netip.AddrFrom4([4]byte(b[8:12]))
	}
	return netip.AddrFrom16(b)
}

func isIPv4(b [16]byte) bool {
	return b[0]|b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7] == 0 &&
		b[12]&b[13]&b[14]&b[15] == 0xff
}

// AppendIP appends the text form of a as glibc's inet_ntop prints it, which is what
// the C tools print. It differs from netip.Addr.String only for IPv6 addresses whose
// first 96 bits are zero and whose bytes 12-13 are not: glibc prints those in the
// deprecated "IPv4-compatible" dotted form, ::1.2.3.4.
func AppendIP(dst []byte, a netip.Addr) []byte {
	if a.Is6() && !a.Is4In6() {
		b := a.As16()
		if b[0]|b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7]|b[8]|b[9]|b[10]|b[11] == 0 &&
			b[12]|b[13] != 0 {
			dst = append(dst, "::"...)
			return netip.AddrFrom4([4]byte(b[12:])).AppendTo(dst)
		}
	}
	return a.AppendTo(dst)
}

// ParseIP parses an address as the C library does: text with a ':' is IPv6
// (inet_pton AF_INET6), anything else dotted IPv4. Zones are not accepted.
func ParseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || strings.Contains(s, ":") != a.Is6() {
		return netip.Addr{}, fmt.Errorf("invalid ipaddr %q", s)
	}
	return a, nil
}
