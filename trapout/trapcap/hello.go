package trapcap

import (
	"fmt"
	"io"

	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

// DataFormat is the kind of data a TRAP stream carries, as its hello announces it.
type DataFormat uint8

// The data formats of libtrap's trap_data_format_t.
const (
	FormatUnknown = DataFormat(wire.Unknown)
	FormatRaw     = DataFormat(wire.Raw)
	FormatUniRec  = DataFormat(wire.UniRec)
	FormatJSON    = DataFormat(wire.JSON)
)

// HelloHeaderSize is the size of the fixed part of a hello.
const HelloHeaderSize = wire.HelloHeaderSize

// Hello is the format negotiation message that starts every trapcap file and every
// TRAP socket stream: the data format and, for UniRec, the canonical template string.
// Files and sockets share its encoding, which package wire holds.
type Hello struct {
	Format DataFormat
	Spec   string
}

// AppendHello appends the wire form of h: the format byte, three zero bytes, the
// specifier length as a big-endian uint32 and the specifier without a terminator.
// A raw format carries no specifier.
func AppendHello(dst []byte, h Hello) []byte {
	return wire.AppendHello(dst, wire.Format{Type: wire.DataType(h.Format), Spec: h.Spec})
}

// ReadHello reads a hello from r. The three padding bytes are ignored, as their
// value is unspecified in C. A short read is an error wrapping io.ErrUnexpectedEOF
// (or io.EOF when r was empty).
func ReadHello(r io.Reader) (Hello, error) {
	var hdr [HelloHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Hello{}, fmt.Errorf("read hello: %w", err)
	}
	t, n, err := wire.ParseHelloHeader(hdr[:])
	if err != nil {
		return Hello{}, fmt.Errorf("read hello: %w", err)
	}
	spec := make([]byte, n)
	if _, err := io.ReadFull(r, spec); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Hello{}, fmt.Errorf("read hello specifier of %d bytes: %w", n, err)
	}
	return Hello{Format: DataFormat(t), Spec: string(spec)}, nil
}
