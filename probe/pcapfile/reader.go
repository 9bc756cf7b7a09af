package pcapfile

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/gopacket/gopacket/layers"
)

// Magic numbers at the start of a trace file, read as little-endian uint32.
const (
	magicPcapMicro   = 0xa1b2c3d4
	magicPcapNano    = 0xa1b23c4d
	magicPcapMicroBE = 0xd4c3b2a1
	magicPcapNanoBE  = 0x4d3cb2a1
	magicPcapng      = 0x0a0d0d0a
)

// readBufferSize is the read-ahead from the file: large enough that reading costs a
// handful of system calls per megabyte. Smaller files get a buffer of their size, but
// never below minBufferSize.
const (
	readBufferSize = 1 << 20
	minBufferSize  = 4096
)

// countingReader counts the bytes read through it; the progress display reads the
// count from another goroutine.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// record is one frame as read from the file. data is only valid until the next read.
type record struct {
	data     []byte
	ts       int64 // Unix nanoseconds
	wireLen  int
	iface    int // pcapng interface ID, 0 in pcap files
	linkType layers.LinkType
}

// recordReader yields the records of a pcap or pcapng stream.
type recordReader struct {
	// One of pcap and ng reads the stream.
	pcap *pcapReader
	ng   *ngReader

	// gzipped is true when the offsets count decompressed bytes.
	gzipped bool
	// fileLinkType is the link type of a pcap file; a pcapng file has one per
	// interface, which comes with each record.
	fileLinkType layers.LinkType
	// rec is the record next returned last, and start its stream offset (for a
	// pcapng file, that of the block next read last, when it failed).
	rec   record
	start int64
}

// newRecordReader detects the format from the magic number, decompressing gzip first,
// and reads the file header. raw reads the file, which has size bytes (negative when
// unknown).
func newRecordReader(raw io.Reader, size int64) (*recordReader, error) {
	bufSize := readBufferSize
	if size >= 0 {
		bufSize = int(max(minBufferSize, min(size, readBufferSize)))
	}

	stream, magic, err := peekMagic(raw)
	if err != nil {
		return nil, err
	}
	rr := &recordReader{}
	if magic&0xffff == 0x8b1f {
		zr, err := gzip.NewReader(stream)
		if err != nil {
			return nil, fmt.Errorf("open gzip stream: %w", err)
		}
		rr.gzipped, bufSize = true, readBufferSize
		if stream, magic, err = peekMagic(zr); err != nil {
			return nil, err
		}
	}

	switch magic {
	case magicPcapMicro, magicPcapNano, magicPcapMicroBE, magicPcapNanoBE:
		if rr.pcap, err = newPcapReader(stream, bufSize); err != nil {
			return nil, err
		}
		rr.fileLinkType = layers.LinkType(rr.pcap.linkType)
	case magicPcapng:
		if rr.ng, err = newNgReader(stream, bufSize); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("not a pcap or pcapng file (magic number %#08x)", magic)
	}
	return rr, nil
}

// newMappedRecordReader reads the pcap or pcapng file mapped in m, and then from rest
// whatever follows the mapped bytes in the file.
func newMappedRecordReader(m *mapping, rest io.Reader) (*recordReader, error) {
	if isPcapMagic(m.data) {
		p, err := newMappedPcapReader(m, rest)
		if err != nil {
			return nil, err
		}
		return &recordReader{pcap: p, fileLinkType: layers.LinkType(p.linkType)}, nil
	}
	n, err := newMappedNgReader(m, rest)
	if err != nil {
		return nil, err
	}
	return &recordReader{ng: n}, nil
}

// isPcapMagic tells whether data starts with the magic number of a classic pcap file.
func isPcapMagic(data []byte) bool {
	if len(data) < 4 {
		return false
	}
	switch binary.LittleEndian.Uint32(data) {
	case magicPcapMicro, magicPcapNano, magicPcapMicroBE, magicPcapNanoBE:
		return true
	}
	return false
}

// isMappable tells whether data starts like a file that can be read from a mapping:
// an uncompressed pcap or pcapng file.
func isMappable(data []byte) bool {
	return isPcapMagic(data) ||
		len(data) >= 4 && binary.LittleEndian.Uint32(data) == magicPcapng
}

// peekMagic reads the first four bytes of r and returns them as a little-endian
// number, with a reader that yields the whole stream again.
func peekMagic(r io.Reader) (io.Reader, uint32, error) {
	var head [4]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, 0, fmt.Errorf("file is empty or shorter than a file header (%d bytes)",
				n)
		}
		return nil, 0, fmt.Errorf("read file header: %w", err)
	}
	return io.MultiReader(bytes.NewReader(head[:]), r), binary.LittleEndian.Uint32(head[:]),
		nil
}

// offset is the position in the (decompressed) stream of the next unread record.
func (rr *recordReader) offset() int64 {
	if rr.pcap != nil {
		return rr.pcap.offset()
	}
	return rr.ng.offset()
}

// next reads the next record into rr.rec. It returns io.EOF only when the stream ends
// exactly between two records; a record cut short is io.ErrUnexpectedEOF.
func (rr *recordReader) next() error {
	if rr.pcap != nil {
		rr.rec.linkType = rr.fileLinkType
		rr.start = rr.pcap.offset()
		return rr.pcap.next(&rr.rec)
	}
	err := rr.ng.next(&rr.rec)
	rr.start = rr.ng.blockStart
	return err
}
