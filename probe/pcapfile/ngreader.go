package pcapfile

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"

	"github.com/gopacket/gopacket/layers"
)

// pcapng is read here rather than with pcapgo for the same reason as classic pcap
// (see pcapreader.go): pcapgo copies every packet out of its buffer. BenchmarkReadPcapng
// shows pcapgo taking 2.8 to 3 times as long. The format's facts used here:
//
// A file is a sequence of sections, each a Section Header Block followed by other
// blocks. Every block is a 32-bit type, a 32-bit total length (a multiple of 4, at
// least 12), the body, and the total length again. The Section Header Block's body
// starts with the byte-order magic 0x1A2B3C4D, written in the byte order of the whole
// section, then the major and minor version; its type reads the same in both byte
// orders. Interface Description Blocks number the section's interfaces from 0 in the
// order they appear and give each a link type, a snap length and options, of which
// if_tsresol (code 9, one byte: a negative power of 10, or of 2 when the top bit is
// set; 10^-6 when absent) and if_tsoffset (code 14, signed seconds added to every
// time) set the clock. Packets come in Enhanced Packet Blocks (type 6: interface,
// time high and low 32 bits, captured and original length, data padded to 4 bytes),
// the obsolete Packet Blocks (type 2: as type 6 but a 16-bit interface and a 16-bit
// drop count) and Simple Packet Blocks (type 3: original length and data, for
// interface 0, with no time). Options are a 16-bit code, a 16-bit length and the
// value padded to 4 bytes, up to code 0. Blocks of other types are skipped.

// Block types and option codes of pcapng.
const (
	ngSectionHeader        = 0x0a0d0d0a
	ngInterfaceDescription = 1
	ngPacketObsolete       = 2
	ngSimplePacket         = 3
	ngEnhancedPacket       = 6

	ngByteOrderMagic = 0x1a2b3c4d
	ngBlockMin       = 12
	ngOptionEnd      = 0
	ngOptionTSResol  = 9
	ngOptionTSOffset = 14
)

// ngInterface is what a section says about one of its interfaces.
type ngInterface struct {
	linkType uint16
	snaplen  uint32
	clock    ngClock
}

// ngClock turns a packet's 64-bit time of an interface into Unix nanoseconds.
type ngClock struct {
	// A time in units of 10^-decimal seconds (when binary is 0) or of 2^-binary
	// seconds.
	decimal, binary uint8
	offset          int64 // seconds
}

// nanos converts t, in the clock's units, to Unix nanoseconds. It reports false for
// a time outside the years an int64 of nanoseconds holds (1678 to 2262).
func (c ngClock) nanos(t uint64) (int64, bool) {
	var ns, hi uint64
	switch {
	case c.binary > 0:
		var lo uint64
		hi, lo = bits.Mul64(t, 1e9)
		ns = hi<<(64-c.binary) | lo>>c.binary
		hi >>= c.binary
	case c.decimal <= 9:
		hi, ns = bits.Mul64(t, pow10[9-c.decimal])
	default:
		ns = t / pow10[c.decimal-9]
	}
	offset := c.offset * 1e9 // in range: setOffset checks it
	if hi != 0 || ns > math.MaxInt64 || offset > 0 && int64(ns) > math.MaxInt64-offset {
		return 0, false
	}
	return int64(ns) + offset, true
}

// maxOffset is the largest if_tsoffset, in seconds, whose nanoseconds an int64 holds.
const maxOffset = math.MaxInt64 / 1_000_000_000

// setOffset sets the clock's offset from the value of an if_tsoffset option.
func (c *ngClock) setOffset(seconds int64) error {
	if seconds > maxOffset || seconds < -maxOffset {
		return fmt.Errorf("time offset of %d seconds is out of range", seconds)
	}
	c.offset = seconds
	return nil
}

// pow10 holds the powers of 10 a uint64 can.
var pow10 = func() [20]uint64 {
	var p [20]uint64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// ngReader hands out the packets of a pcapng stream out of its window.
type ngReader struct {
	window
	byteOrder
	ifaces []ngInterface // of the current section
	// skipping is set in a section of a major version other than 1, whose blocks
	// are passed over up to the next section.
	skipping bool
	// lastTime is the time of the latest packet that had one, which a Simple Packet
	// Block, having none, takes.
	lastTime int64
	// blockStart is the stream offset of the block read last, for errors.
	blockStart int64
}

// newNgReader reads the first section header from r. bufSize is the initial buffer
// size.
func newNgReader(r io.Reader, bufSize int) (*ngReader, error) {
	n := &ngReader{window: newWindow(r, max(bufSize, ngBlockMin))}
	return n, n.readFirstSection()
}

// newMappedNgReader reads the first section header from the mapped file m. rest reads
// what follows the mapped bytes in the file, should the file have grown since.
func newMappedNgReader(m *mapping, rest io.Reader) (*ngReader, error) {
	n := &ngReader{window: newMappedWindow(m, rest)}
	return n, n.readFirstSection()
}

// readFirstSection reads the section header that starts the stream.
func (n *ngReader) readFirstSection() error {
	body, typ, err := n.block()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return fmt.Errorf("read pcapng section header: %w", err)
	}
	if typ != ngSectionHeader {
		return fmt.Errorf("read pcapng section header: block type %#x", typ)
	}
	return n.section(body)
}

// block takes the next block and returns its body and type. It returns io.EOF when
// the stream ends exactly between two blocks.
func (n *ngReader) block() (body []byte, typ uint32, err error) {
	n.blockStart = n.offset()
	if err := n.fill(ngBlockMin); err != nil {
		return nil, 0, err
	}
	head := n.buf[n.start : n.start+ngBlockMin]
	if n.u32(head) == ngSectionHeader {
		// A section header sets the byte order, its own length included.
		switch magic := binary.LittleEndian.Uint32(head[8:]); magic {
		case ngByteOrderMagic:
			n.big = false
		case bits.ReverseBytes32(ngByteOrderMagic):
			n.big = true
		default:
			return nil, 0, fmt.Errorf("section header with byte-order magic %#08x", magic)
		}
	}
	typ = n.u32(head)
	length := n.u32(head[4:])
	if length < ngBlockMin || length%4 != 0 || length > maxSnaplen {
		return nil, 0, fmt.Errorf("block of type %#x claims a length of %d bytes", typ, length)
	}
	if err := n.fill(int(length)); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, 0, err
	}
	b := n.buf[n.start : n.start+int(length)]
	if trailer := n.u32(b[length-4:]); trailer != length {
		return nil, 0, fmt.Errorf("block of type %#x starts with length %d and ends with %d",
			typ, length, trailer)
	}
	// The housekeeping of a mapping looks behind the reader's position, which must
	// not pass this block before its body is handed out.
	if err := n.checkTail(n.start + int(length)); err != nil {
		return nil, 0, err
	}
	n.moved()
	n.start += int(length)
	return b[8 : length-4], typ, nil
}

// section starts a section from the body of its header.
func (n *ngReader) section(body []byte) error {
	if len(body) < 16 {
		return fmt.Errorf("section header of %d bytes", len(body)+12)
	}
	n.ifaces = n.ifaces[:0]
	n.skipping = n.u16(body[4:]) != 1
	return nil
}

// interfaceDescription adds the interface a description block's body describes.
func (n *ngReader) interfaceDescription(body []byte) error {
	if len(body) < 8 {
		return fmt.Errorf("interface description of %d bytes", len(body)+12)
	}
	i := ngInterface{linkType: n.u16(body), snaplen: n.u32(body[4:]),
		clock: ngClock{decimal: 6}}
	opts := body[8:]
	for len(opts) >= 4 {
		code, length := n.u16(opts), int(n.u16(opts[2:]))
		if code == ngOptionEnd {
			break
		}
		padded := (length + 3) &^ 3
		if 4+padded > len(opts) {
			return fmt.Errorf("interface %d: option %d overruns its block", len(n.ifaces),
				code)
		}
		value := opts[4 : 4+length]
		switch {
		case code == ngOptionTSResol && length >= 1:
			if err := i.clock.setResolution(value[0]); err != nil {
				return fmt.Errorf("interface %d: %w", len(n.ifaces), err)
			}
		case code == ngOptionTSOffset && length >= 8:
			if err := i.clock.setOffset(int64(n.u64(value))); err != nil {
				return fmt.Errorf("interface %d: %w", len(n.ifaces), err)
			}
		}
		opts = opts[4+padded:]
	}
	n.ifaces = append(n.ifaces, i)
	return nil
}

// setResolution sets the clock's unit from the value of an if_tsresol option.
func (c *ngClock) setResolution(v byte) error {
	exp := v & 0x7f
	if v&0x80 != 0 {
		if exp > 63 {
			return fmt.Errorf("time resolution 2^-%d is too fine", exp)
		}
		// 2^-0 leaves binary at 0, which counts whole seconds as 10^-0 does.
		c.decimal, c.binary = 0, exp
		return nil
	}
	if int(exp) >= len(pow10) {
		return fmt.Errorf("time resolution 10^-%d is too fine", exp)
	}
	c.decimal, c.binary = exp, 0
	return nil
}

// iface returns the interface id of the current section.
func (n *ngReader) iface(id uint32) (*ngInterface, error) {
	if id >= uint32(len(n.ifaces)) {
		return nil, fmt.Errorf("packet of interface %d, but the section describes %d",
			id, len(n.ifaces))
	}
	return &n.ifaces[id], nil
}

// next reads the next packet into rec, passing over the blocks that hold none. It
// returns io.EOF when the stream ends exactly between two blocks and
// io.ErrUnexpectedEOF when it ends inside one.
func (n *ngReader) next(rec *record) error {
	for {
		body, typ, err := n.block()
		if err != nil {
			return err
		}
		switch {
		case typ == ngSectionHeader:
			if err := n.section(body); err != nil {
				return err
			}
			continue
		case n.skipping:
			continue
		case typ == ngInterfaceDescription:
			if err := n.interfaceDescription(body); err != nil {
				return err
			}
			continue
		case typ == ngEnhancedPacket || typ == ngPacketObsolete:
			err = n.timedPacket(body, typ, rec)
		case typ == ngSimplePacket:
			err = n.simplePacket(body, rec)
		default:
			continue
		}
		return err
	}
}

// timedPacket reads the body of an Enhanced Packet Block, or of an obsolete Packet
// Block, into rec.
func (n *ngReader) timedPacket(body []byte, typ uint32, rec *record) error {
	if len(body) < 20 {
		return fmt.Errorf("packet block of %d bytes", len(body)+12)
	}
	id := n.u32(body)
	if typ == ngPacketObsolete {
		id = uint32(n.u16(body))
	}
	i, err := n.iface(id)
	if err != nil {
		return err
	}
	caplen := n.u32(body[12:])
	if caplen > uint32(len(body)-20) {
		return fmt.Errorf("captured length %d overruns its %d-byte block", caplen,
			len(body)+12)
	}
	raw := uint64(n.u32(body[4:]))<<32 | uint64(n.u32(body[8:]))
	ts, ok := i.clock.nanos(raw)
	if !ok {
		return fmt.Errorf("time %d of interface %d is outside the years 1678 to 2262", raw,
			id)
	}
	rec.ts = ts
	n.lastTime = rec.ts
	rec.wireLen = int(n.u32(body[16:]))
	rec.data = body[20 : 20+caplen]
	rec.iface = int(id)
	rec.linkType = layers.LinkType(i.linkType)
	return nil
}

// simplePacket reads the body of a Simple Packet Block into rec. Such a packet has
// no time: it takes the time of the packet before it. Its data is as long as the
// original packet, or the interface's snap length if that is shorter.
func (n *ngReader) simplePacket(body []byte, rec *record) error {
	if len(body) < 4 {
		return fmt.Errorf("simple packet block of %d bytes", len(body)+12)
	}
	i, err := n.iface(0)
	if err != nil {
		return err
	}
	wire := n.u32(body)
	caplen := wire
	if i.snaplen > 0 {
		caplen = min(caplen, i.snaplen)
	}
	if caplen > uint32(len(body)-4) {
		return fmt.Errorf("simple packet block of %d bytes is too short for %d bytes of "+
			"packet data", len(body)+12, caplen)
	}
	rec.ts = n.lastTime
	rec.wireLen = int(wire)
	rec.data = body[4 : 4+caplen]
	rec.iface = 0
	rec.linkType = layers.LinkType(i.linkType)
	return nil
}
