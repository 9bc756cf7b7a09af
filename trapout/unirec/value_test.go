package unirec

import (
	"math"
	"net/netip"
	"testing"
)

func TestTimeVectors(t *testing.T) {
	cases := []struct {
		nsec uint64
		frac uint32
	}{
		{0, 0}, {1, 4}, {123456000, 0x1f9acffa}, {500000000, 0x80000000},
		{999999000, 0xffffef39}, {999999999, 0xfffffffb},
	}
	for _, c := range cases {
		tm := TimeFromParts(1705312800, c.nsec)
		if uint32(tm) != c.frac || tm.Seconds() != 1705312800 {
			t.Errorf("%d ns: frac %#x, want %#x", c.nsec, uint32(tm), c.frac)
		}
		if tm.Nanoseconds() != uint32(c.nsec) {
			t.Errorf("%d ns: back to %d ns", c.nsec, tm.Nanoseconds())
		}
	}
	if tm := TimeFromParts(1705312800, 123456000); tm != 0x65a502201f9acffa {
		t.Errorf("2024-01-15T10:00:00.123456Z is %#x", uint64(tm))
	}
	if got := TimeFromUnixNano(-1); got.Seconds() != math.MaxUint32 ||
		got.Nanoseconds() != 999999999 {
		t.Errorf("-1 ns is %d s + %d ns", got.Seconds(), got.Nanoseconds())
	}
}

func TestParseTime(t *testing.T) {
	cases := []struct {
		in   string
		want string // logger text; "" means the parse fails and gives 0
	}{
		{"2024-01-01T00:00:00.5", "2024-01-01T00:00:00.500000"},
		{"2024-10-10T10:10:10Z", "2024-10-10T10:10:10.000000"},
		{"2024-10-10T10:10:11.5Z", "2024-10-10T10:10:11.500000"},
		{"2024-09-09T09:09:09.999999999", "2024-09-09T09:09:09.999999"},
		{"2024-09-09T09:09:10.0000000019", "2024-09-09T09:09:10.000000"},
		{"2106-02-07T06:28:15.999999", "2106-02-07T06:28:15.999999"},
		{"2024-2-3T4:5:6", "2024-02-03T04:05:06.000000"},
		{"2023-02-31T00:00:00", "2023-03-03T00:00:00.000000"},
		{"2024-01-01T00:00:00.5x", "2024-01-01T00:00:00.000000"},
		{"2024-01-01 00:00:00", ""},
		{"2024-01-01T00:00:00+01", ""},
		{"2024-13-01T00:00:00", ""},
		{"1969-12-31T23:59:59", ""},
		{"", ""},
	}
	for _, c := range cases {
		tm, err := ParseTime(c.in)
		if c.want == "" {
			if err == nil || tm != 0 {
				t.Errorf("%q: %v %v, want a failure and 0", c.in, tm, err)
			}
			continue
		}
		if got := string(tm.AppendText(nil)); err != nil || got != c.want {
			t.Errorf("%q: %q %v, want %q", c.in, got, err, c.want)
		}
	}
}

func TestIPText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"192.168.1.10", "192.168.1.10"},
		{"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
		{"::", "::"},
		{"::1", "::1"},
		{"::0.0.0.2", "::2"},
		{"::1.2.3.4", "::1.2.3.4"},
		{"::102:0", "::1.2.0.0"},
		{"64:ff9b::1.2.3.4", "64:ff9b::102:304"},
		{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
		{"::ffff:0:0", "::ffff:0.0.0.0"},
		{"::1:2:ffff:ffff", "0.1.0.2"},
	}
	for _, c := range cases {
		a, err := ParseIP(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		dec := DecodeIP(EncodeIP(a))
		if got := string(AppendIP(nil, dec)); got != c.want {
			t.Errorf("%q prints %q, want %q", c.in, got, c.want)
		}
	}
	v4 := EncodeIP(netip.MustParseAddr("192.168.1.10"))
	if v4 != [16]byte{8: 0xc0, 9: 0xa8, 10: 1, 11: 10, 12: 0xff, 13: 0xff, 14: 0xff, 15: 0xff} {
		t.Errorf("192.168.1.10 encodes as % x", v4)
	}
	for _, bad := range []string{"1.2.3", "01.2.3.4", "fe80::1%eth0", "1.2.3.4 ", "x"} {
		if _, err := ParseIP(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestMAC(t *testing.T) {
	cases := []struct{ in, want string }{
		{"00:11:22:33:44:55", "00:11:22:33:44:55"},
		{"AA:bb:C:d:0x0e:1ff", "aa:bb:0c:0d:0e:ff"},
		{"1:2:3:4:5:6 trailing", "01:02:03:04:05:06"},
	}
	for _, c := range cases {
		m, err := ParseMAC(c.in)
		if got := string(AppendMAC(nil, m)); err != nil || got != c.want {
			t.Errorf("%q: %q %v, want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "1:2:3:4:5", "1-2-3-4-5-6", "g:1:2:3:4:5"} {
		if _, err := ParseMAC(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestScanNumbers(t *testing.T) {
	uints := []struct {
		in   string
		bits int
		want uint64
		ok   bool
	}{
		{"42", 8, 42, true}, {"300", 8, 44, true}, {"-1", 16, 0xffff, true},
		{"  7abc", 32, 7, true}, {"0x10", 32, 0, true}, {"010", 32, 10, true},
		{"99999999999999999999", 64, math.MaxUint64, true},
		{"18446744073709551615", 64, math.MaxUint64, true},
		{"", 8, 0, false}, {"abc", 8, 0, false}, {"-", 8, 0, false},
	}
	for _, c := range uints {
		v, ok := scanUint(c.in, c.bits)
		if v != c.want || ok != c.ok {
			t.Errorf("%%u %q (%d bits): %d %v, want %d %v", c.in, c.bits, v, ok, c.want, c.ok)
		}
	}
	ints := []struct {
		in   string
		bits int
		want int64
		ok   bool
	}{
		{"-128", 8, -128, true}, {"0x1f", 8, 31, true}, {"010", 8, 8, true},
		{"09", 8, 0, true}, {"200", 8, -56, true}, {"-9223372036854775808", 64,
			math.MinInt64, true}, {"9223372036854775808", 64, math.MaxInt64, true},
		{"-99999999999999999999", 64, math.MinInt64, true}, {"0x", 8, 0, true},
		{"+5", 16, 5, true}, {"x1", 16, 0, false},
	}
	for _, c := range ints {
		v, ok := scanInt(c.in, c.bits)
		got := int64(v<<(64-c.bits)) >> (64 - c.bits)
		if got != c.want || ok != c.ok {
			t.Errorf("%%i %q (%d bits): %d %v, want %d %v", c.in, c.bits, got, ok, c.want, c.ok)
		}
	}
	floats := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1.5", 1.5, true}, {"1e10", 1e10, true}, {"-0.0001", -0.0001, true},
		{"inf", math.Inf(1), true}, {"-Infinity", math.Inf(-1), true},
		{"0x1.8", 1.5, true}, {"1e999", math.Inf(1), true}, {"7.0abc", 7, true},
		{"1e", 0, false}, {"", 0, false}, {".", 0, false}, {"e5", 0, false},
	}
	for _, c := range floats {
		v, ok := scanFloat(c.in, 64)
		if v != c.want || ok != c.ok {
			t.Errorf("%%lf %q: %v %v, want %v %v", c.in, v, ok, c.want, c.ok)
		}
	}
	if v, ok := scanFloat("nan", 64); !ok || !math.IsNaN(v) {
		t.Errorf("nan: %v %v", v, ok)
	}
}

func TestCFloatText(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{0.5, "0.500000"}, {1e10, "10000000000.000000"}, {-0.0001, "-0.000100"},
		{math.Copysign(0, -1), "-0.000000"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
		{math.NaN(), "nan"}, {math.Copysign(math.NaN(), -1), "-nan"},
		{2.5e-7, "0.000000"}, {0.0000005, "0.000000"}, {0.0000015, "0.000002"},
	}
	for _, c := range cases {
		if got := string(appendCFloat(nil, c.in)); got != c.want {
			t.Errorf("%v prints %q, want %q", c.in, got, c.want)
		}
	}
}
