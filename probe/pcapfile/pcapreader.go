package pcapfile

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Classic pcap is read here rather than with pcapgo: pcapgo copies every record from
// its bufio.Reader into a packet buffer through io.ReadFull, and that copy made reading
// about five times slower than handing out slices of one large buffer, as this reader
// does.

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

// pcapReader hands out the records of a classic pcap stream out of its window.
type pcapReader struct {
	window
	byteOrder
	fracNanos int64 // nanoseconds per unit of the fraction field: 1000 or 1
	maxRecord int
	linkType  uint16
}

// newPcapReader reads the file header from r. bufSize is the initial buffer size.
func newPcapReader(r io.Reader, bufSize int) (*pcapReader, error) {
	p := &pcapReader{window: newWindow(r, max(bufSize, pcapFileHeaderLen))}
	return p, p.readFileHeader()
}

// newMappedPcapReader reads the file header from the mapped file m. rest reads what
// follows the mapped bytes in the file, should the file have grown since.
func newMappedPcapReader(m *mapping, rest io.Reader) (*pcapReader, error) {
	p := &pcapReader{window: newMappedWindow(m, rest)}
	return p, p.readFileHeader()
}

// readFileHeader reads the file header at the start of the stream.
func (p *pcapReader) readFileHeader() error {
	if err := p.fill(pcapFileHeaderLen); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("read pcap file header: %w", err)
	}
	h := p.buf[:pcapFileHeaderLen]
	switch binary.LittleEndian.Uint32(h) {
	case magicPcapMicro:
		p.fracNanos = 1000
	case magicPcapNano:
		p.fracNanos = 1
	case magicPcapMicroBE:
		p.big, p.fracNanos = true, 1000
	case magicPcapNanoBE:
		p.big, p.fracNanos = true, 1
	}
	if major := p.u16(h[4:]); major != 2 {
		return fmt.Errorf("read pcap file header: unknown format version %d", major)
	}
	snaplen := min(p.u32(h[16:]), maxSnaplen)
	p.maxRecord = max(maxRecordLen, int(snaplen))
	// The upper bits of the link type field carry FCS information, not the type.
	p.linkType = uint16(p.u32(h[20:]))
	p.start = pcapFileHeaderLen
	return nil
}

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

	if err := p.checkTail(p.start + need); err != nil {
		return err
	}
	p.moved()
	rec.ts = int64(p.u32(h))*1e9 + int64(p.u32(h[4:]))*p.fracNanos
	rec.wireLen = int(p.u32(h[12:]))
	rec.data = p.buf[p.start+pcapRecordHeaderLen : p.start+need]
	p.start += need
	return nil
}
