package wire

import (
	"bytes"
	"errors"
	"testing"
)

func TestHelloRoundTrip(t *testing.T) {
	tests := []struct {
		f    Format
		want []byte
	}{
		{Format{UniRec, "uint32 A"}, append([]byte{2, 0, 0, 0, 0, 0, 0, 8}, "uint32 A"...)},
		{Format{Raw, "ignored"}, []byte{1, 0, 0, 0, 0, 0, 0, 0}},
		{Format{JSON, ""}, []byte{3, 0, 0, 0, 0, 0, 0, 0}},
		{Format{}, []byte{0, 0, 0, 0, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		b := AppendHello(nil, tt.f)
		if !bytes.Equal(b, tt.want) {
			t.Errorf("%v: got % x, want % x", tt.f, b, tt.want)
		}
		// Padding bytes are ignored on read.
		b[1], b[2], b[3] = 0xaa, 0xbb, 0xcc
		typ, n, err := ParseHelloHeader(b)
		if err != nil || typ != tt.f.Type || n != len(b)-8 {
			t.Errorf("%v: parsed %v %d %v", tt.f, typ, n, err)
		}
	}
}

func TestParseHelloHeaderErrors(t *testing.T) {
	for _, b := range [][]byte{
		{2, 0, 0},
		{4, 0, 0, 0, 0, 0, 0, 0},
		{2, 0, 0, 0, 0x7f, 0, 0, 0},
		{1, 0, 0, 0, 0, 0, 0, 3},
	} {
		if _, _, err := ParseHelloHeader(b); err == nil {
			t.Errorf("% x accepted", b)
		}
	}
}

func TestContainerHeader(t *testing.T) {
	// The header of tcp_session.pcap: 1950 bytes, seq 0, 21 messages.
	want := []byte{0, 0, 7, 0x9e, 0, 0, 0, 0, 0, 0, 0, 0, 0x15, 0}
	b := make([]byte, ContainerHeaderSize)
	PutContainerHeader(b, ContainerHeader{PayloadLen: 1950, Count: 21})
	if !bytes.Equal(b, want) {
		t.Fatalf("got % x, want % x", b, want)
	}
	PutContainerHeader(b, ContainerHeader{PayloadLen: 1, Seq: 0x0102030405060708, Count: 2})
	h, err := ParseContainerHeader(b)
	if err != nil || h.Seq != 0x0102030405060708 || h.Count != 2 || b[4] != 8 {
		t.Fatalf("round trip: %+v %v % x", h, err, b)
	}
}

func TestNegotiate(t *testing.T) {
	const base = "ipaddr SRC_IP,uint16 SRC_PORT"
	tests := []struct {
		name    string
		req     Format
		got     Format
		want    Outcome
		wantErr error
	}{
		{"equal", Format{UniRec, base}, Format{UniRec, base}, FormatOK, nil},
		{"superset", Format{UniRec, "uint16 SRC_PORT"}, Format{UniRec, base},
			FormatChanged, nil},
		{"anything", Format{UniRec, ""}, Format{UniRec, base}, FormatChanged, nil},
		{"missing", Format{UniRec, base + ",uint8 X"}, Format{UniRec, base}, 0,
			ErrFormatMismatch},
		{"type differs", Format{UniRec, "uint32 SRC_PORT"}, Format{UniRec, base}, 0,
			ErrFormatMismatch},
		{"whitespace", Format{UniRec, "uint16  SRC_PORT"}, Format{UniRec, base}, 0,
			ErrFormatMismatch},
		{"empty sender", Format{UniRec, ""}, Format{UniRec, ""}, 0, ErrFormatMismatch},
		{"data type", Format{UniRec, ""}, Format{Raw, ""}, 0, ErrFormatMismatch},
		{"raw", Format{Raw, ""}, Format{Raw, ""}, FormatOK, nil},
		{"unknown", Format{UniRec, ""}, Format{}, 0, ErrUnknownFormat},
		{"json same", Format{JSON, "a"}, Format{JSON, "a"}, FormatOK, nil},
		{"json any", Format{JSON, ""}, Format{JSON, "a"}, FormatChanged, nil},
		{"json other", Format{JSON, "b"}, Format{JSON, "a"}, 0, ErrFormatMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Negotiate(tt.req, tt.got)
			if !errors.Is(err, tt.wantErr) || (err == nil && got != tt.want) {
				t.Fatalf("got %v, %v; want %v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// FuzzContainer feeds arbitrary bytes to the container and message decoders, as a
// hostile server could send them.
func FuzzContainer(f *testing.F) {
	c := make([]byte, ContainerHeaderSize)
	c = AppendMessage(c, []byte("hello"))
	c = AppendMessage(c, []byte{0})
	PutContainerHeader(c, ContainerHeader{PayloadLen: uint32(len(c) - 14), Count: 2})
	f.Add(c)
	f.Add([]byte{0, 1, 0x86, 0xa2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 5, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseContainerHeader(b)
		if err != nil {
			return
		}
		if h.PayloadLen > MaxPayload {
			t.Fatalf("accepted payload length %d", h.PayloadLen)
		}
		p := b[ContainerHeaderSize:]
		if int(h.PayloadLen) < len(p) {
			p = p[:h.PayloadLen]
		}
		total := 0
		for len(p) > 0 {
			msg, rest, err := NextMessage(p)
			if err != nil {
				return
			}
			total += 2 + len(msg)
			p = rest
		}
		if total > int(h.PayloadLen) {
			t.Fatalf("messages span %d bytes of a %d-byte payload", total, h.PayloadLen)
		}
	})
}

func FuzzHello(f *testing.F) {
	f.Add(AppendHello(nil, Format{UniRec, "uint32 A"}))
	f.Add([]byte{3, 1, 2, 3, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, n, err := ParseHelloHeader(b)
		if err != nil {
			return
		}
		if typ > JSON || n > MaxSpecLen || n < 0 {
			t.Fatalf("accepted type %d length %d", typ, n)
		}
	})
}
