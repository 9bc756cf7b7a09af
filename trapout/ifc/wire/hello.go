package wire

import (
	"encoding/binary"
	"fmt"
)

// DataType is the kind of data an interface carries, as the hello encodes it.
type DataType uint8

// The data types of libtrap.
const (
	Unknown DataType = 0
	Raw     DataType = 1
	UniRec  DataType = 2
	JSON    DataType = 3
)

// String names the data type.
func (t DataType) String() string {
	switch t {
	case Unknown:
		return "unknown"
	case Raw:
		return "raw"
	case UniRec:
		return "UniRec"
	case JSON:
		return "JSON"
	}
	return fmt.Sprintf("type %d", uint8(t))
}

// HelloHeaderSize is the size of the hello's fixed part: type, three padding bytes
// and the big-endian length of the format specifier.
const HelloHeaderSize = 8

// MaxSpecLen bounds the specifier a reader accepts, so that a corrupt length cannot
// make it allocate gigabytes.
const MaxSpecLen = 1 << 20

// Format is a data type with its specifier (a UniRec template string or a JSON
// schema name); Spec is empty for Raw and Unknown.
type Format struct {
	Type DataType
	Spec string
}

// AppendHello appends the hello for f to b: the 8-byte header, then the specifier
// for UniRec and JSON. Padding bytes are zero.
func AppendHello(b []byte, f Format) []byte {
	spec := f.Spec
	if f.Type != UniRec && f.Type != JSON {
		spec = ""
	}
	b = append(b, byte(f.Type), 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(spec)))
	return append(b, spec...)
}

// ParseHelloHeader decodes the 8-byte hello header and returns the data type and the
// length of the specifier that follows. The padding bytes are ignored.
func ParseHelloHeader(h []byte) (DataType, int, error) {
	if len(h) < HelloHeaderSize {
		return 0, 0, fmt.Errorf("hello header: %d bytes, want %d", len(h), HelloHeaderSize)
	}
	t := DataType(h[0])
	n := binary.BigEndian.Uint32(h[4:8])
	if t > JSON {
		return 0, 0, fmt.Errorf("hello header: unknown data type %d", h[0])
	}
	if n > MaxSpecLen {
		return 0, 0, fmt.Errorf("hello header: specifier length %d over the limit of %d",
			n, MaxSpecLen)
	}
	if n > 0 && t != UniRec && t != JSON {
		return 0, 0, fmt.Errorf("hello header: %s data with a %d-byte specifier", t, n)
	}
	return t, int(n), nil
}
