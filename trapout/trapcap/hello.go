package trapcap

import (
	"encoding/binary"
	"fmt"
	"io"
)

// DataFormat is the kind of data a TRAP stream carries, as its hello announces it.
type DataFormat uint8

// The data formats of libtrap's trap_data_format_t.
const (
	FormatUnknown DataFormat = 0
	FormatRaw     DataFormat = 1
	FormatUniRec  DataFormat = 2
	FormatJSON    DataFormat = 3
)

// HelloHeaderSize is the size of the fixed part of a hello.
const HelloHeaderSize = 8

// maxSpecLen bounds the specifier a reader accepts, so a corrupt length cannot make it
// allocate gigabytes. Real UniRec templates are a few kilobytes at most.
const maxSpecLen = 1 << 20

// Hello is the format negotiation message that starts every trapcap file and every
// TRAP socket stream: the data format and, for UniRec, the canonical template string.
type Hello struct {
	Format DataFormat
	Spec   string
}

// AppendHello appends the wire form of h: the format byte, three zero bytes, the
// specifier length as a big-endian uint32 and the specifier without a terminator.
// A raw format carries no specifier.
func AppendHello(dst []byte, h Hello) []byte {
	spec := h.Spec
	if h.Format == FormatRaw || h.Format == FormatUnknown {
		spec = ""
	}
	dst = append(dst, byte(h.Format), 0, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(spec)))
	return append(dst, spec...)
}

// ReadHello reads a hello from r. The three padding bytes are ignored, as their
// value is unspecified in C. A short read is an error wrapping io.ErrUnexpectedEOF
// (or io.EOF when r was empty).
func ReadHello(r io.Reader) (Hello, error) {
	var hdr [HelloHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Hello{}, fmt.Errorf("read hello: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[4:])
	if n > maxSpecLen {
		return Hello{}, fmt.Errorf("read hello: format specifier of %d bytes is too long", n)
	}
	spec := make([]byte, n)
	if _, err := io.ReadFull(r, spec); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Hello{}, fmt.Errorf("read hello specifier of %d bytes: %w", n, err)
	}
	return Hello{Format: DataFormat(hdr[0]), Spec: string(spec)}, nil
}
