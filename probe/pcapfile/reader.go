package pcapfile

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
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
// never below minBufferSize, the size from which pcapgo uses our buffer instead of
// stacking one of its own on top of it.
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

// recordReader yields the records of a pcap or pcapng stream. data is only valid
// until the next call of next.
type recordReader struct {
	pcap *pcapgo.Reader
	ng   *pcapgo.NgReader

	// stream counts the bytes below buf; stream.n - buf.Buffered() is the offset of
	// the next unread byte of the (decompressed) stream.
	stream *countingReader
	buf    *bufio.Reader
	// gzipped is true when the offsets count decompressed bytes.
	gzipped bool
	// fileLinkType is the link type of a pcap file or of a pcapng file's first
	// interface.
	fileLinkType layers.LinkType

	// ci and linkType describe the record next returned last.
	ci       gopacket.CaptureInfo
	linkType layers.LinkType
}

// newRecordReader detects the format from the magic number and reads the file header.
// raw counts the bytes read from the file, which has size bytes (negative when
// unknown).
func newRecordReader(raw *countingReader, size int64) (*recordReader, error) {
	rr := &recordReader{stream: raw}
	bufSize := readBufferSize
	if size >= 0 {
		bufSize = int(max(minBufferSize, min(size, readBufferSize)))
	}
	rr.buf = bufio.NewReaderSize(raw, bufSize)
	if head, err := rr.buf.Peek(2); err == nil && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(rr.buf)
		if err != nil {
			return nil, fmt.Errorf("open gzip stream: %w", err)
		}
		rr.gzipped = true
		rr.stream = &countingReader{r: zr}
		rr.buf = bufio.NewReaderSize(rr.stream, readBufferSize)
	}

	// pcapgo wraps its input in a bufio.Reader of its own unless it already is one of
	// sufficient size, so handing it buf keeps one buffer and exact offsets.
	head, err := rr.buf.Peek(4)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("file is empty or shorter than a file header")
		}
		return nil, fmt.Errorf("read file header: %w", err)
	}
	switch magic := binary.LittleEndian.Uint32(head); magic {
	case magicPcapMicro, magicPcapNano, magicPcapMicroBE, magicPcapNanoBE:
		r, err := pcapgo.NewReader(rr.buf)
		if err != nil {
			return nil, fmt.Errorf("read pcap file header: %w", err)
		}
		rr.pcap = r
		rr.fileLinkType = r.LinkType()
	case magicPcapng:
		opts := pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true}
		r, err := pcapgo.NewNgReader(rr.buf, opts)
		if err != nil {
			return nil, fmt.Errorf("read pcapng section header: %w", err)
		}
		rr.ng = r
		rr.fileLinkType = r.LinkType()
	default:
		return nil, fmt.Errorf("not a pcap or pcapng file (magic number %#08x)", magic)
	}
	return rr, nil
}

// offset is the position in the (decompressed) stream of the next unread byte.
func (rr *recordReader) offset() int64 {
	return rr.stream.n.Load() - int64(rr.buf.Buffered())
}

// next reads the next record into rr.ci and rr.linkType and returns its data. It
// returns io.EOF only when the stream ends exactly between two records; a record cut
// short is io.ErrUnexpectedEOF. The results live in rr rather than in return values
// because copying the capture info out of each call costs more than the call.
func (rr *recordReader) next() ([]byte, error) {
	var data []byte
	var err error
	if rr.pcap != nil {
		data, rr.ci, err = rr.pcap.ZeroCopyReadPacketData()
		if err == io.EOF && rr.ci.CaptureLength > 0 {
			// The record header was there but none of its data.
			err = io.ErrUnexpectedEOF
		}
		rr.linkType = rr.fileLinkType
		return data, err
	}

	data, rr.ci, err = rr.ng.ZeroCopyReadPacketData()
	if err != nil {
		return nil, err
	}
	lt, ok := rr.ci.AncillaryData[0].(layers.LinkType)
	if !ok {
		return nil, fmt.Errorf("pcapng reader gave no link type for interface %d",
			rr.ci.InterfaceIndex)
	}
	rr.linkType = lt
	return data, nil
}
