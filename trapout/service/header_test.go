package service

import (
	"bytes"
	"testing"
)

func TestHeader(t *testing.T) {
	cases := []struct {
		name string
		wire []byte
		want Header
	}{
		{"get request", []byte{10, 0, 0, 0, 0, 0, 0, 0}, Header{Command: CmdGetStats}},
		{"reply", []byte{12, 0, 0, 0, 0x2a, 0x01, 0, 0}, Header{CmdReplyOK, 0x12a}},
		{"padding ignored", []byte{10, 0xaa, 0xbb, 0xcc, 1, 0, 0, 0}, Header{CmdGetStats, 1}},
		{"largest size", []byte{11, 0, 0, 0, 0xff, 0xff, 0xff, 0xff},
			Header{CmdSetConfig, 1<<32 - 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseHeader(c.wire)
			if err != nil || got != c.want {
				t.Fatalf("ParseHeader(% x) = %+v, %v; want %+v", c.wire, got, err, c.want)
			}
			enc := AppendHeader(nil, got)
			want := append([]byte{c.wire[0], 0, 0, 0}, c.wire[4:]...)
			if !bytes.Equal(enc, want) {
				t.Fatalf("AppendHeader = % x, want % x", enc, want)
			}
		})
	}
}

func TestHeaderShort(t *testing.T) {
	for n := 0; n < HeaderSize; n++ {
		if _, err := ParseHeader(make([]byte, n)); err == nil {
			t.Fatalf("ParseHeader of %d bytes: no error", n)
		}
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add([]byte{10, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{12, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if len(b) < HeaderSize {
			if err == nil {
				t.Fatal("short header accepted")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		enc := AppendHeader(nil, h)
		if enc[0] != b[0] || !bytes.Equal(enc[4:], b[4:HeaderSize]) {
			t.Fatalf("round trip of % x gave % x", b[:HeaderSize], enc)
		}
	})
}
