package pcapfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"unsafe"

	"github.com/flowprobe/flowprobe/probe/internal/prefetch"
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
// The buffer may instead be a mapping of the whole file: then records are sliced out
// of the mapping, and only bytes appended to the file after it was mapped are read.
type pcapReader struct {
	r          io.Reader
	buf        []byte
	start, end int   // unread bytes are buf[start:end]
	consumed   int64 // stream offset of buf[0]
	// m is the mapping buf points into, until the reader has gone past its end.
	m *mapping
	// prefetched is the offset in the mapping up to which prefetchAhead has asked
	// for the bytes to be loaded; forgotten is the offset up to which forgetBehind
	// has dropped the pages.
	prefetched, forgotten int

	bigEndian bool
	fracNanos int64 // nanoseconds per unit of the fraction field: 1000 or 1
	maxRecord int
	linkType  uint16
}

// newPcapReader reads the file header from r. bufSize is the initial buffer size.
func newPcapReader(r io.Reader, bufSize int) (*pcapReader, error) {
	p := &pcapReader{r: r, buf: make([]byte, max(bufSize, pcapFileHeaderLen))}
	return p, p.readFileHeader()
}

// newMappedPcapReader reads the file header from the mapped file m. rest reads what
// follows the mapped bytes in the file, should the file have grown since.
func newMappedPcapReader(m *mapping, rest io.Reader) (*pcapReader, error) {
	p := &pcapReader{r: rest, buf: m.data, end: len(m.data), m: m}
	if err := p.readFileHeader(); err != nil {
		return p, err
	}
	p.prefetchAhead()
	return p, nil
}

// In a mapping, prefetchAhead keeps the bytes from the reader's position to
// prefetchDistance beyond it on their way into the CPU caches, asking for them
// prefetchStep bytes at a time. The pages of a mapped file are in no cache, and the
// reader cannot know where a record starts before it has read the header of the one
// before, so without this every record would stall the reader for a full trip to
// memory: that made the mapping slower to read than copying the file with read(2).
const (
	prefetchDistance = 8 << 10
	prefetchStep     = 1 << 10
)

// prefetchAhead asks for the bytes up to prefetchDistance ahead of the reader's
// position once the reader has moved prefetchStep bytes on.
func (p *pcapReader) prefetchAhead() {
	until := min(p.start+prefetchDistance, p.end)
	if until-p.prefetched < prefetchStep {
		return
	}
	from := max(p.prefetched, p.start)
	prefetch.Range(unsafe.Pointer(&p.buf[from]), uintptr(until-from))
	p.prefetched = until
}

// pageSize is the size of the memory pages a mapping is made of.
var pageSize = os.Getpagesize()

// forgetStep is how far the reader moves on in a mapping before the pages behind it
// are dropped from the process.
const forgetStep = 4 << 20

// forgetBehind drops the pages of the mapping before the record at the reader's
// position, forgetStep bytes at a time. Without it a mapped trace would count in
// full towards the probe's resident memory, and the kernel would have to unmap it
// all at once at the end.
func (p *pcapReader) forgetBehind() {
	until := p.start &^ (pageSize - 1)
	if until-p.forgotten < forgetStep {
		return
	}
	_ = p.m.forget(p.buf[p.forgotten:until])
	p.forgotten = until
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
		p.bigEndian, p.fracNanos = true, 1000
	case magicPcapNanoBE:
		p.bigEndian, p.fracNanos = true, 1
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

	if p.m != nil {
		p.forgetBehind()
		p.prefetchAhead()
	}
	rec.ts = int64(p.u32(h))*1e9 + int64(p.u32(h[4:]))*p.fracNanos
	rec.wireLen = int(p.u32(h[12:]))
	rec.data = p.buf[p.start+pcapRecordHeaderLen : p.start+need]
	p.start += need
	return nil
}

// leaveMapping moves the unread end of the mapping into a buffer of the heap, for
// reading on past the end of the mapping, and unmaps the file. Mostly this only
// finds the end of the file, so the buffer is small; it grows when a record needs it.
func (p *pcapReader) leaveMapping(need int) {
	buf := make([]byte, max(minBufferSize, need))
	n := copy(buf, p.buf[p.start:p.end])
	p.consumed += int64(p.start)
	p.buf, p.start, p.end = buf, 0, n
	_ = p.m.close()
	p.m = nil
}

// maxEmptyReads is how many reads in a row may return nothing before the stream is
// declared stuck.
const maxEmptyReads = 100

// fill makes at least need unread bytes available, moving the unread ones to the front
// and growing the buffer as data arrives. It returns io.EOF if the stream ended with no
// unread byte left and io.ErrUnexpectedEOF if it ended with fewer than need.
func (p *pcapReader) fill(need int) error {
	if p.end-p.start >= need {
		return nil
	}
	if p.m != nil {
		p.leaveMapping(need)
	}
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
