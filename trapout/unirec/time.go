package unirec

import (
	"fmt"
	"time"
)

// Time is a UniRec timestamp: the high 32 bits are seconds since the Unix epoch
// (unsigned, so the range ends in 2106), the low 32 bits a binary fraction of a
// second in units of 2^-32 s.
type Time uint64

// nsToFrac is 2^64/10^9 rounded, the factor the C library converts nanoseconds with.
const nsToFrac = 0x44B82FA0A

// TimeFromParts builds a Time from seconds and nanoseconds as the C macro
// ur_time_from_sec_nsec does; only the low 32 bits of sec are kept.
func TimeFromParts(sec uint64, nsec uint64) Time {
	return Time(sec<<32 | nsec*nsToFrac>>32)
}

// TimeFromUnixNano converts Unix nanoseconds, the unit of flow.Record times.
func TimeFromUnixNano(ns int64) Time {
	sec, nsec := ns/1e9, ns%1e9
	if nsec < 0 {
		sec, nsec = sec-1, nsec+1e9
	}
	return TimeFromParts(uint64(sec), uint64(nsec))
}

// TimeFrom converts a Go time.
func TimeFrom(t time.Time) Time {
	return TimeFromParts(uint64(t.Unix()), uint64(t.Nanosecond()))
}

// Seconds returns the whole seconds since the Unix epoch.
func (t Time) Seconds() uint32 { return uint32(t >> 32) }

// Nanoseconds returns the fraction in nanoseconds, rounded up as the C library does so
// that converting nanoseconds to Time and back is exact. It can be 1e9 for fractions
// within 2^-32 s of the next second.
func (t Time) Nanoseconds() uint32 {
	return uint32((uint64(uint32(t))*1e9 + 0xffffffff) >> 32)
}

// Microseconds returns the fraction in whole microseconds.
func (t Time) Microseconds() uint32 { return t.Nanoseconds() / 1000 }

// Milliseconds returns the fraction in whole milliseconds.
func (t Time) Milliseconds() uint32 { return t.Nanoseconds() / 1000000 }

// Go returns t as a Go time in UTC.
func (t Time) Go() time.Time {
	return time.Unix(int64(t.Seconds()), int64(t.Nanoseconds())).UTC()
}

// AppendText appends t as logger prints it: YYYY-MM-DDTHH:MM:SS.uuuuuu in UTC.
func (t Time) AppendText(dst []byte) []byte {
	dst = time.Unix(int64(t.Seconds()), 0).UTC().AppendFormat(dst, "2006-01-02T15:04:05")
	dst = append(dst, '.')
	us := t.Microseconds()
	for div := uint32(100000); div > 1 && us < div; div /= 10 {
		dst = append(dst, '0')
	}
	return appendUint(dst, uint64(us))
}

func appendUint(dst []byte, v uint64) []byte {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

// ParseTime parses YYYY-MM-DDTHH:MM:SS in UTC, optionally followed by '.' and a
// fraction (digits after the ninth are dropped) and optionally by 'Z' or 'z'. It
// follows the C function ur_time_from_string, including its leniency (one-digit
// fields, seconds up to 61, days past the month's end roll over). On failure it
// returns 0 and an error; logreplay stores that 0 and sends the record anyway.
func ParseTime(s string) (Time, error) {
	tm, rest, ok := scanDateTime(s)
	if !ok || rest != "" && rest[0] != '.' && rest[0]|0x20 != 'z' {
		return 0, fmt.Errorf("invalid time %q", s)
	}
	sec := time.Date(tm[0], time.Month(tm[1]), tm[2], tm[3], tm[4], tm[5], 0, time.UTC).Unix()
	if sec == -1 {
		// timegm's error value; the C parser cannot tell it from a failure.
		return 0, fmt.Errorf("invalid time %q", s)
	}
	var nsec uint64
	if len(rest) > 1 {
		nsec = fractionNanos(rest[1:])
	}
	return TimeFromParts(uint64(sec), nsec), nil
}

// fractionNanos pads or cuts the fraction to nine characters and reads it with
// strtoul, so a fraction with stray characters yields what C yields.
func fractionNanos(frac string) uint64 {
	if n := len(frac); frac[n-1]|0x20 == 'z' {
		frac = frac[:n-1]
	}
	var buf [9]byte
	for i := range buf {
		buf[i] = '0'
	}
	copy(buf[:], frac)
	v, _, _ := scanInteger(string(buf[:]), 10, false)
	return v
}

// scanDateTime is strptime "%Y-%m-%dT%H:%M:%S": numbers of at most 4 (year) or 2
// digits, each optionally preceded by spaces, and literal separators.
func scanDateTime(s string) (tm [6]int, rest string, ok bool) {
	limits := [6]struct{ lo, hi, digits int }{
		{0, 9999, 4}, {1, 12, 2}, {1, 31, 2}, {0, 23, 2}, {0, 59, 2}, {0, 61, 2},
	}
	const seps = "--T::"
	for k, lim := range limits {
		for s != "" && isSpace(s[0]) {
			s = s[1:]
		}
		n, v := 0, 0
		for n < lim.digits && n < len(s) && s[n] >= '0' && s[n] <= '9' {
			v = v*10 + int(s[n]-'0')
			n++
		}
		if n == 0 || v < lim.lo || v > lim.hi {
			return tm, "", false
		}
		tm[k], s = v, s[n:]
		if k < len(seps) {
			if s == "" || s[0] != seps[k] {
				return tm, "", false
			}
			s = s[1:]
		}
	}
	return tm, s, true
}
