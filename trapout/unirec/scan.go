package unirec

import (
	"math"
	"strconv"
	"strings"
)

// The functions here read numbers the way glibc's sscanf does, because logreplay
// parses CSV values with sscanf and files written for it rely on its leniency:
// leading white space is skipped, text after the number is ignored, values that do
// not fit the field wrap, and %i takes 0x hexadecimal and 0 octal prefixes.

func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

func digitValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

// scanInteger reads an integer in base 10 or 16, or with base 0 in the base its
// prefix selects, like strtoul/strtol. It returns the value as 64 bits (negated for a
// leading '-', modulo 2^64), the number of bytes consumed and whether any digit was
// read. Overflow saturates as strtoul (signed false) or strtol (signed true) do.
func scanInteger(s string, base int, signed bool) (uint64, int, bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	hasPrefix := i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X')
	switch {
	case base == 0 && hasPrefix, base == 16 && hasPrefix:
		if i+2 < len(s) && digitValue(s[i+2]) < 16 {
			i += 2
		}
		base = 16
	case base == 0 && i < len(s) && s[i] == '0':
		base = 8
	case base == 0:
		base = 10
	}

	var v uint64
	overflow := false
	start := i
	for ; i < len(s); i++ {
		d := digitValue(s[i])
		if d >= base {
			break
		}
		if v > (math.MaxUint64-uint64(d))/uint64(base) {
			overflow = true
		}
		v = v*uint64(base) + uint64(d)
	}
	if i == start {
		return 0, 0, false
	}
	switch {
	case !signed && overflow:
		return math.MaxUint64, i, true
	case !signed && neg:
		return -v, i, true
	case signed && !neg && (overflow || v > math.MaxInt64):
		return math.MaxInt64, i, true
	case signed && neg && (overflow || v > 1<<63):
		return 1 << 63, i, true
	case neg:
		return -v, i, true
	}
	return v, i, true
}

// scanUint is sscanf "%u" (with a size modifier) for a field of the given bits.
func scanUint(s string, bits int) (uint64, bool) {
	v, _, ok := scanInteger(s, 10, false)
	return truncate(v, bits), ok
}

// scanInt is sscanf "%i" for a field of the given bits; the result is the field's
// two's-complement bits.
func scanInt(s string, bits int) (uint64, bool) {
	v, _, ok := scanInteger(s, 0, true)
	return truncate(v, bits), ok
}

func truncate(v uint64, bits int) uint64 {
	if bits == 64 {
		return v
	}
	return v & (1<<bits - 1)
}

// scanFloat is sscanf "%f" / "%lf": it takes the longest prefix that looks like a
// number (decimal with exponent, 0x hexadecimal, inf, infinity, nan) and fails when
// that prefix is not a complete number, as glibc does with "1e".
func scanFloat(s string, bits int) (float64, bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	rest := strings.ToLower(s[i:min(len(s), i+8)])
	switch {
	case strings.HasPrefix(rest, "infinity"):
		i += 8
	case strings.HasPrefix(rest, "inf"), strings.HasPrefix(rest, "nan"):
		i += 3
	default:
		i = scanFloatDigits(s, i)
	}
	text := s[start:i]
	if text == "" {
		return 0, false
	}
	if len(text) > 2 && strings.ContainsAny(text[:3], "xX") && !strings.ContainsAny(text, "pP") {
		text += "p0" // C accepts hexadecimal without a binary exponent, Go does not
	}
	v, err := strconv.ParseFloat(text, bits)
	if err != nil && !isRangeError(err) {
		return 0, false
	}
	return v, true
}

func scanFloatDigits(s string, i int) int {
	base, exp := 10, byte('e')
	if i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') {
		base, exp = 16, 'p'
		i += 2
	}
	for i < len(s) && digitValue(s[i]) < base {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && digitValue(s[i]) < base {
			i++
		}
	}
	if i < len(s) && s[i]|0x20 == exp {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i
}

func isRangeError(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
