package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ContainerHeaderSize is the size of the header before each container's payload on
// a socket (libtrap 1.17 and later).
const ContainerHeaderSize = 14

// MaxPayload is the largest container payload a receiver accepts: C receivers read it
// into a buffer of this size without a check, so nothing larger can come from a sane
// sender.
const MaxPayload = 100001

// MaxSendPayload is the largest payload a sender may put in a container (the default
// container of 100000 bytes minus its header).
const MaxSendPayload = 100000 - ContainerHeaderSize

// ContainerHeader describes one container.
type ContainerHeader struct {
	PayloadLen uint32 // bytes of payload after the header
	Seq        uint64 // number of messages the sender sent before this container
	Count      uint16 // messages in this container
}

// PutContainerHeader writes h into the first 14 bytes of b: the length big-endian,
// the sequence number and the count little-endian, as C writes them in host order.
func PutContainerHeader(b []byte, h ContainerHeader) {
	binary.BigEndian.PutUint32(b[0:4], h.PayloadLen)
	binary.LittleEndian.PutUint64(b[4:12], h.Seq)
	binary.LittleEndian.PutUint16(b[12:14], h.Count)
}

// ParseContainerHeader decodes the first 14 bytes of b and checks the payload length.
func ParseContainerHeader(b []byte) (ContainerHeader, error) {
	if len(b) < ContainerHeaderSize {
		return ContainerHeader{}, fmt.Errorf("container header: %d bytes, want %d",
			len(b), ContainerHeaderSize)
	}
	h := ContainerHeader{
		PayloadLen: binary.BigEndian.Uint32(b[0:4]),
		Seq:        binary.LittleEndian.Uint64(b[4:12]),
		Count:      binary.LittleEndian.Uint16(b[12:14]),
	}
	if h.PayloadLen > MaxPayload {
		return h, fmt.Errorf("container header: payload of %d bytes over the limit of %d",
			h.PayloadLen, MaxPayload)
	}
	return h, nil
}

// NextMessage returns the message at the start of payload and the rest after it.
// Each message is a big-endian uint16 length and that many bytes. A length that runs
// past the end of payload is an error; the caller should drop the rest of the
// container, as libtrap does.
func NextMessage(payload []byte) (msg, rest []byte, err error) {
	if len(payload) < 2 {
		return nil, nil, fmt.Errorf("message: %d stray bytes at the end of a container",
			len(payload))
	}
	n := int(binary.BigEndian.Uint16(payload))
	if 2+n > len(payload) {
		return nil, nil, fmt.Errorf("message: length %d runs past the container's end "+
			"(%d bytes left)", n, len(payload)-2)
	}
	return payload[2 : 2+n], payload[2+n:], nil
}

// AppendMessage appends msg with its length prefix to b. The caller checks that msg
// is at most 65535 bytes.
func AppendMessage(b, msg []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(msg)))
	return append(b, msg...)
}

// MaxMessage is the largest message: its length travels as a uint16.
const MaxMessage = 0xffff

// ErrMessageTooLong is returned for a message over MaxMessage bytes.
var ErrMessageTooLong = errors.New("message longer than 65535 bytes")
