package unirec

import (
	"fmt"
	"math"
	"strings"
)

// maxCSVColumn is where logreplay cuts every column before parsing it.
const maxCSVColumn = 16384

// nextCSVColumn returns the column starting at s[pos:] and the position after its
// delimiter, splitting as logreplay does: an unquoted column ends at the next ','; a
// column opened by '"' ends at a ',' right after a quote once the count of quotes is
// even, and of each pair of quotes inside only the second is kept. A quote preceded
// by a backslash is not counted. scratch is reused for quoted columns.
func nextCSVColumn(s string, pos int, scratch *[]byte) (string, int) {
	if pos >= len(s) {
		return "", pos + 1
	}
	if s[pos] != '"' {
		end := strings.IndexByte(s[pos:], ',')
		seg := s[pos:]
		if end >= 0 {
			seg = s[pos : pos+end]
		}
		if strings.IndexByte(seg, '"') < 0 {
			return seg, pos + len(seg) + 1
		}
	}

	b := (*scratch)[:0]
	quotes, inQuotes := 0, 0
	prev := byte(0)
	i := pos
	if i < len(s) && s[i] == '"' {
		quotes++
		i++
	}
	for i < len(s) {
		ch := s[i]
		i++
		if ch == '"' && prev != '\\' {
			quotes++
			inQuotes++
		}
		if ch == ',' && (quotes == 0 || prev == '"' && quotes%2 == 0) {
			*scratch = b
			return string(b), i
		}
		if ch != '"' || inQuotes%2 == 0 {
			b = append(b, ch)
		}
		prev = ch
	}
	*scratch = b
	return string(b), len(s) + 1
}

// cutColumn applies logreplay's limits: a column ends at a NUL byte (C strings) and
// after maxCSVColumn bytes.
func cutColumn(col string) string {
	if i := strings.IndexByte(col, 0); i >= 0 {
		col = col[:i]
	}
	if len(col) > maxCSVColumn {
		col = col[:maxCSVColumn]
	}
	return col
}

// setStaticFromText parses text into static field i of rec with the C library's
// rules. A time that does not parse stores 0 and returns timeErr, which is a warning,
// not a failure.
func (t *Template) setStaticFromText(rec []byte, i int, text string) (timeErr, err error) {
	f := t.fields[i]
	b := rec[f.Offset:]
	switch f.Type {
	case TypeChar:
		if text == "" {
			return nil, fmt.Errorf("empty char")
		}
		b[0] = text[0]
		return nil, nil
	case TypeTime:
		v, err := ParseTime(text)
		le.PutUint64(b, uint64(v))
		return err, nil
	}
	if !putScalar(b, f.Type, text) {
		return nil, fmt.Errorf("invalid %s value %q", f.Type, abbreviate(text))
	}
	return nil, nil
}

// putScalar parses text as typ and writes its bytes at the start of b.
func putScalar(b []byte, typ Type, text string) bool {
	switch typ {
	case TypeUint8, TypeUint16, TypeUint32, TypeUint64:
		v, ok := scanUint(text, typ.Size()*8)
		putUint(b, typ.Size(), v)
		return ok
	case TypeInt8, TypeInt16, TypeInt32, TypeInt64:
		v, ok := scanInt(text, typ.Size()*8)
		putUint(b, typ.Size(), v)
		return ok
	case TypeFloat:
		v, ok := scanFloat(text, 32)
		le.PutUint32(b, math.Float32bits(float32(v)))
		return ok
	case TypeDouble:
		v, ok := scanFloat(text, 64)
		le.PutUint64(b, math.Float64bits(v))
		return ok
	case TypeIPAddr:
		a, err := ParseIP(text)
		ip := EncodeIP(a)
		copy(b, ip[:])
		return err == nil
	case TypeMACAddr:
		m, err := ParseMAC(text)
		copy(b, m[:])
		return err == nil
	case TypeTime:
		v, err := ParseTime(text)
		le.PutUint64(b, uint64(v))
		return err == nil
	}
	return false
}

func putUint(b []byte, size int, v uint64) {
	switch size {
	case 1:
		b[0] = byte(v)
	case 2:
		le.PutUint16(b, uint16(v))
	case 4:
		le.PutUint32(b, uint32(v))
	case 8:
		le.PutUint64(b, v)
	}
}

// appendDynamicFromText appends the encoding of text for a dynamic field of type typ.
func appendDynamicFromText(dst []byte, typ Type, text string) ([]byte, error) {
	switch {
	case typ == TypeString:
		return append(dst, text...), nil
	case typ == TypeBytes:
		return appendHexBytes(dst, text), nil
	}
	return appendArrayFromText(dst, typ.Elem(), text)
}

// appendHexBytes decodes pairs of hex digits; an odd last digit is ignored as in C. A
// pair that is not hex gives the value of its leading hex digit, or 0 (C leaves the
// byte's previous memory there).
func appendHexBytes(dst []byte, text string) []byte {
	for k := 0; k+1 < len(text); k += 2 {
		hi, lo := digitValue(text[k]), digitValue(text[k+1])
		switch {
		case hi >= 16:
			dst = append(dst, 0)
		case lo >= 16:
			dst = append(dst, byte(hi))
		default:
			dst = append(dst, byte(hi<<4|lo))
		}
	}
	return dst
}

// appendArrayFromText parses "[a|b|c]": brackets are dropped, '|' separates, and
// each element is read like a scalar of type elem; any bad element fails the field.
func appendArrayFromText(dst []byte, elem Type, text string) ([]byte, error) {
	v := strings.Map(func(r rune) rune {
		switch r {
		case '[', ']':
			return -1
		case '|':
			return ' '
		}
		return r
	}, text)
	var tmp [16]byte
	size := elem.Size()
	for v = strings.TrimLeft(v, " "); v != ""; {
		token := v
		if end := strings.IndexByte(v, ' '); end >= 0 {
			token = v[:end]
			v = strings.TrimLeft(v[end:], " ")
		} else {
			v = ""
		}
		// C hands sscanf the rest of the text, but sscanf stops where the element
		// ends, so parsing the element alone gives the same value.
		if !putScalar(tmp[:size], elem, token) {
			return dst, fmt.Errorf("invalid %s element %q", elem, abbreviate(token))
		}
		dst = append(dst, tmp[:size]...)
	}
	return dst, nil
}
