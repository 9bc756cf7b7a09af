package gen

import (
	"encoding/binary"
	"math/rand/v2"
)

// payloadBlock is random filler that payloads are sliced from. The running sums of
// its 16-bit words give the Internet checksum of any even-aligned slice in constant
// time, so checksumming costs nothing per payload byte.
type payloadBlock struct {
	data   [payloadBlockLen]byte
	prefix [payloadBlockLen/2 + 1]uint64
}

// payloadBlockLen leaves room for a full-size payload at many offsets.
const payloadBlockLen = 64 << 10

func newPayloadBlock(rng *rand.Rand) *payloadBlock {
	p := &payloadBlock{}
	for i := 0; i < len(p.data); i += 8 {
		binary.LittleEndian.PutUint64(p.data[i:], rng.Uint64())
	}
	for w := range len(p.data) / 2 {
		p.prefix[w+1] = p.prefix[w] + uint64(binary.BigEndian.Uint16(p.data[2*w:]))
	}
	return p
}

// sum returns the ones'-complement partial sum of data[off:off+n]; off must be even.
func (p *payloadBlock) sum(off, n int) uint64 {
	w := off / 2
	s := p.prefix[w+n/2] - p.prefix[w]
	if n%2 == 1 {
		s += uint64(p.data[off+n-1]) << 8
	}
	return s
}

// sumBytes returns the ones'-complement partial sum of b, padding an odd tail with 0.
func sumBytes(b []byte) uint64 {
	var s uint64
	for len(b) >= 2 {
		s += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return s
}

// checksum folds a partial sum into the Internet checksum (RFC 1071).
func checksum(s uint64) uint16 {
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
