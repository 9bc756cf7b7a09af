package service

import (
	"encoding/binary"
	"fmt"
)

// HeaderSize is the size of the C struct {uint8_t com; uint32_t data_size;} that
// starts every request and reply: the command, three padding bytes, then the size in
// host order (little-endian on every platform NEMEA runs on).
const HeaderSize = 8

// Commands of the service protocol.
const (
	CmdGetStats  = 10 // request: send the interface counters
	CmdSetConfig = 11 // request defined by libtrap but never served: it disconnects
	CmdReplyOK   = 12 // reply: the JSON document follows
)

// Header is a request or reply header.
type Header struct {
	Command  uint8
	DataSize uint32 // bytes after the header; in a reply, the JSON and its NUL
}

// ParseHeader decodes a header from the first HeaderSize bytes of b. The padding
// bytes are ignored, as C leaves them unspecified.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("service header: %d bytes, want %d", len(b), HeaderSize)
	}
	return Header{Command: b[0], DataSize: binary.LittleEndian.Uint32(b[4:8])}, nil
}

// AppendHeader appends the encoded header, with zero padding, to dst.
func AppendHeader(dst []byte, h Header) []byte {
	dst = append(dst, h.Command, 0, 0, 0)
	return binary.LittleEndian.AppendUint32(dst, h.DataSize)
}
