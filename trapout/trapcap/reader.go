package trapcap

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// MaxPayload is the largest buffer payload libtrap writes to or reads from a file.
const MaxPayload = 100000

// ErrFormatChanged is returned by Reader.Next when the next file of the input starts
// with a hello that differs from the previous one; Hello then returns the new format
// and Next goes on with that file's messages.
var ErrFormatChanged = errors.New("trapcap: data format changed")

// Reader reads the messages of one or more trapcap files in order, as libtrap's file
// input does: each file negotiates its own hello, and after the last file comes one
// synthetic empty message, the end-of-data signal NEMEA modules stop at. It is not
// safe for concurrent use.
type Reader struct {
	paths   []string
	next    int
	name    string
	file    *os.File
	in      *bufio.Reader
	offset  int64
	hello   Hello
	started bool
	payload []byte
	pos     int
	done    bool
	err     error // sticky: a truncated or oversized buffer ends the input
	buffers atomic.Uint64
}

// Pending tells whether the buffer being read holds more messages, so that the next
// call of Next returns without reading the file.
func (r *Reader) Pending() bool { return r.err == nil && r.pos < len(r.payload) }

// Buffers returns how many buffers were read so far. Unlike the other methods it may
// be called from any goroutine.
func (r *Reader) Buffers() uint64 { return r.buffers.Load() }

// Open opens the files in the order given and reads the first one's hello. A file
// that is empty or ends inside its hello is an error, which libtrap reports as a
// failed negotiation.
func Open(paths ...string) (*Reader, error) {
	if len(paths) == 0 {
		return nil, errors.New("open trapcap: no files")
	}
	r := &Reader{paths: paths, payload: make([]byte, 0, MaxPayload)}
	if _, err := r.openNext(); err != nil {
		return nil, err
	}
	return r, nil
}

// NewReader reads a single trapcap stream, for example standard input. name is used
// in error messages.
func NewReader(in io.Reader, name string) (*Reader, error) {
	r := &Reader{name: name, in: bufio.NewReaderSize(in, 1<<17),
		payload: make([]byte, 0, MaxPayload)}
	if err := r.readHello(); err != nil {
		return nil, err
	}
	return r, nil
}

// Hello returns the format of the file being read.
func (r *Reader) Hello() Hello { return r.hello }

// Name returns the name of the file being read.
func (r *Reader) Name() string { return r.name }

// Next returns the next message. The slice is valid until the following call. After
// the last message of the last file it returns one empty message, then io.EOF. A
// truncated or corrupt file is an error naming the file and the byte offset.
func (r *Reader) Next() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	for r.pos >= len(r.payload) {
		if r.done {
			return nil, io.EOF
		}
		err := r.readBuffer()
		if err == nil {
			continue
		}
		if err != io.EOF {
			r.err = err
			return nil, err
		}
		changed, err := r.openNext()
		if err != nil {
			return nil, err
		}
		if r.done {
			return r.payload[:0], nil
		}
		if changed {
			return nil, ErrFormatChanged
		}
	}
	if len(r.payload)-r.pos < 2 {
		return nil, r.corrupt(r.pos, "message length cut by the end of the buffer")
	}
	n := int(binary.BigEndian.Uint16(r.payload[r.pos:]))
	start := r.pos + 2
	if start+n > len(r.payload) {
		return nil, r.corrupt(r.pos, fmt.Sprintf(
			"message of %d bytes runs past the end of the buffer", n))
	}
	r.pos = start + n
	return r.payload[start:r.pos], nil
}

// Close closes the file being read.
func (r *Reader) Close() error {
	if r.file == nil {
		return nil
	}
	err := r.file.Close()
	r.file = nil
	return err
}

// openNext closes the current file and opens the next one, reading its hello; it
// reports whether the hello differs from the previous one. With no file left it sets
// done.
func (r *Reader) openNext() (changed bool, err error) {
	if r.file != nil {
		r.file.Close()
		r.file = nil
	}
	if r.next >= len(r.paths) {
		r.done = true
		r.payload, r.pos = r.payload[:0], 0
		return false, nil
	}
	r.name = r.paths[r.next]
	r.next++
	f, err := os.Open(r.name)
	if err != nil {
		return false, fmt.Errorf("open trapcap: %w", err)
	}
	r.file, r.offset = f, 0
	if r.in == nil {
		r.in = bufio.NewReaderSize(f, 1<<17)
	} else {
		r.in.Reset(f)
	}
	old, started := r.hello, r.started
	if err := r.readHello(); err != nil {
		return false, err
	}
	return started && old != r.hello, nil
}

func (r *Reader) readHello() error {
	h, err := ReadHello(r.in)
	if err != nil {
		return fmt.Errorf("trapcap %s: negotiation failed: %w", r.name, err)
	}
	r.hello, r.started = h, true
	r.offset = int64(HelloHeaderSize + len(h.Spec))
	return nil
}

// readBuffer reads the next buffer of the current file into r.payload; io.EOF means
// the file ended cleanly between buffers.
func (r *Reader) readBuffer() error {
	var hdr [4]byte
	n, err := io.ReadFull(r.in, hdr[:])
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		return r.truncated(r.offset, fmt.Sprintf("buffer header cut after %d of 4 bytes", n))
	}
	size := binary.BigEndian.Uint32(hdr[:])
	if size > MaxPayload {
		return r.corrupt(-1, fmt.Sprintf("buffer of %d bytes exceeds %d", size, MaxPayload))
	}
	r.payload, r.pos = r.payload[:size], 0
	if n, err := io.ReadFull(r.in, r.payload); err != nil {
		r.payload = r.payload[:0]
		return r.truncated(r.offset+4, fmt.Sprintf(
			"buffer of %d bytes cut after %d bytes", size, n))
	}
	r.offset += 4 + int64(size)
	r.buffers.Add(1)
	return nil
}

func (r *Reader) truncated(off int64, what string) error {
	return fmt.Errorf("trapcap %s: truncated at offset %d: %s", r.name, off, what)
}

// corrupt reports a bad buffer; pos is a position in the payload, or -1 for the
// buffer header.
func (r *Reader) corrupt(pos int, what string) error {
	off := r.offset
	if pos >= 0 {
		off = r.offset - int64(len(r.payload)) + int64(pos)
	}
	r.payload, r.pos = r.payload[:0], 0
	return fmt.Errorf("trapcap %s: corrupt at offset %d: %s", r.name, off, what)
}
