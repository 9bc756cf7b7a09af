package unirec

import "fmt"

const hexDigits = "0123456789abcdef"

// AppendMAC appends m as six lower-case hex pairs separated by ':'.
func AppendMAC(dst []byte, m [6]byte) []byte {
	for i, b := range m {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = append(dst, hexDigits[b>>4], hexDigits[b&15])
	}
	return dst
}

// ParseMAC parses six hex numbers separated by ':' with C sscanf("%hhx:...")
// semantics: each number may have leading spaces, a sign or a 0x prefix and keeps its
// low 8 bits; text after the sixth number is ignored.
func ParseMAC(s string) ([6]byte, error) {
	var m [6]byte
	rest := s
	for i := range m {
		if i > 0 {
			if rest == "" || rest[0] != ':' {
				return m, fmt.Errorf("invalid macaddr %q", s)
			}
			rest = rest[1:]
		}
		v, n, ok := scanInteger(rest, 16, false)
		if !ok {
			return m, fmt.Errorf("invalid macaddr %q", s)
		}
		m[i] = byte(v)
		rest = rest[n:]
	}
	return m, nil
}
