package pcapfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Classic pcap is read here rather than with pcapgo: pcapgo copies every record from
// its bufio.Reader into a packet buffer through io.ReadFull, and that copy made reading
// about five times slower than handing out slices of one large buffer, as this reader
// does. pcapng, whose blocks are more involved, is still read with pcapgo and so keeps
// that copy: on this project's test machine it reads about 2 million frames per second
// where classic pcap reads over 10 million.

const (
	pcapFileHeaderLen   = 24
	pcapRecordHeaderLen = 16
	// maxRecordLen is the longest record accepted when the file header claims a
	// smaller snap length: libpcap's largest snap length, as tcpdump and Wireshark
	// read records longer than the declared one up to there.
	maxRecordLen = 262144
	// maxSnaplen bounds what a file header may raise the record limit to, so that a
	// damaged header cannot make the reader accept absurd lengths.
	maxSnaplen = 64 << 20
)

// pcapReader hands out the records of a classic pcap stream as slices of one buffer,
// which is refilled with large reads; a record is only valid until the next call.
type pcapReader struct {
	r          io.Reader
	buf        []byte
	start, end int   // unread bytes are buf[start:end]
	consumed   int64 // stream offset of buf[0]

	bigEndian bool
	fracNanos int64 // nanoseconds per unit of the fraction field: 1000 or 1
	maxRecord int
	linkType  uint16
}

// newPcapReader reads the file header from r. bufSize is the initial buffer size.
func newPcapReader(r io.Reader, bufSize int) (*pcapReader, error) {
	p := &pcapReader{r: r, buf: make([]byte, max(bufSize, pcapFileHeaderLen))}
	if err := p.fill(pcapFileHeaderLen); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read pcap file header: %w", err)
	}
	h := p.buf[:pcapFileHeaderLen]
	switch binary.LittleEndian.Uint32(h) {
	case magicPcapMicro:
		p.fracNanos = 1000
	case magicPcapNano:
		p.fracNanos = 1
	case magicPcapMicroBE:
		p.bigEndian, p.fracNanos = true, 1000
	case magicPcapNanoBE:
		p.bigEndian, p.fracNanos = true, 1
	}
	if major := p.u16(h[4:]); major != 2 {
		return nil, fmt.Errorf("read pcap file header: unknown format version %d", major)
	}
	snaplen := min(p.u32(h[16:]), maxSnaplen)
	p.maxRecord = max(maxRecordLen, int(snaplen))
	// The upper bits of the link type field carry FCS information, not the type.
	p.linkType = uint16(p.u32(h[20:]))
	p.start = pcapFileHeaderLen
	return p, nil
}

func (p *pcapReader) u16(b []byte) uint16 {
	if p.bigEndian {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (p *pcapReader) u32(b []byte) uint32 {
	if p.bigEndian {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// offset is the stream offset of the next record.
func (p *pcapReader) offset() int64 { return p.consumed + int64(p.start) }

// next reads one record into rec. It returns io.EOF when the stream ends exactly at a
// record boundary and io.ErrUnexpectedEOF when it ends inside a record.
func (p *pcapReader) next(rec *record) error {
	if p.end-p.start < pcapRecordHeaderLen {
		if err := p.fill(pcapRecordHeaderLen); err != nil {
			return err
		}
	}
	h := p.buf[p.start : p.start+pcapRecordHeaderLen]
	caplen := int(p.u32(h[8:]))
	if caplen < 0 || caplen > p.maxRecord {
		return fmt.Errorf("captured length %d exceeds the limit of %d", caplen, p.maxRecord)
	}
	need := pcapRecordHeaderLen + caplen
	if p.end-p.start < need {
		if err := p.fill(need); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		h = p.buf[p.start : p.start+pcapRecordHeaderLen]
	}

	rec.ts = int64(p.u32(h))*1e9 + int64(p.u32(h[4:]))*p.fracNanos
	rec.wireLen = int(p.u32(h[12:]))
	rec.data = p.buf[p.start+pcapRecordHeaderLen : p.start+need]
	p.start += need
	return nil
}

// maxEmptyReads is how many reads in a row may return nothing before the stream is
// declared stuck.
const maxEmptyReads = 100

// fill makes at least need unread bytes available, moving the unread ones to the front
// and growing the buffer as data arrives. It returns io.EOF if the stream ended with no
// unread byte left and io.ErrUnexpectedEOF if it ended with fewer than need.
func (p *pcapReader) fill(need int) error {
	if p.start > 0 {
		n := copy(p.buf, p.buf[p.start:p.end])
		p.consumed += int64(p.start)
		p.start, p.end = 0, n
	}
	empty := 0
	for p.end < need {
		if p.end == len(p.buf) {
			// Grow only by what has arrived, so that a damaged length cannot make a
			// short file allocate a large buffer.
			grown := make([]byte, min(2*len(p.buf), max(need, len(p.buf))))
			copy(grown, p.buf[:p.end])
			p.buf = grown
		}
		n, err := p.r.Read(p.buf[p.end:])
		p.end += n
		switch {
		case err == nil && n == 0:
			if empty++; empty > maxEmptyReads {
				return io.ErrNoProgress
			}
		case err == nil, p.end >= need:
			empty = 0
		case errors.Is(err, io.EOF) && p.end == 0:
			return io.EOF
		case errors.Is(err, io.EOF):
			return io.ErrUnexpectedEOF
		default:
			return err
		}
	}
	return nil
}
