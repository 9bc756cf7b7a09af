package pcapfile

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"unsafe"

	"github.com/flowprobe/flowprobe/probe/internal/prefetch"
)

// A window is the part of a trace stream a reader has at hand: one buffer, refilled
// with large reads, out of which records are handed as slices, each only valid until
// the reader's next call. The buffer may instead be a mapping of the whole file: then
// records are sliced out of the mapping, and only bytes appended to the file after it
// was mapped are read.
type window struct {
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
	// tailChecked is set once checkTail has looked at the file's size.
	tailChecked bool
}

// newWindow reads r into a buffer of bufSize bytes to begin with.
func newWindow(r io.Reader, bufSize int) window {
	return window{r: r, buf: make([]byte, bufSize)}
}

// newMappedWindow hands out the mapped file m; rest reads what follows the mapped
// bytes in the file, should the file have grown since.
func newMappedWindow(m *mapping, rest io.Reader) window {
	w := window{r: rest, buf: m.data, end: len(m.data), m: m}
	w.prefetchAhead()
	return w
}

// offset is the stream offset of the next unread byte.
func (w *window) offset() int64 { return w.consumed + int64(w.start) }

// moved does the housekeeping of a mapping after the reader has taken a record: it
// keeps the bytes ahead coming and drops the pages behind. It is called for every
// record, so it only looks once the reader is a prefetch step further on.
func (w *window) moved() {
	if w.m != nil && w.start+prefetchDistance-w.prefetched >= prefetchStep {
		w.keepMapping()
	}
}

// checkTail is called with the end offset of every record before it is handed out
// of a mapping. The first record that reaches into the mapping's last page makes it
// check that the file is still whole: a file cut inside that page raises no fault,
// its lost bytes read as zeros, and a zeroed pcap record header is a valid empty
// record. A cut after that check still reads as zeros up to the end of the mapping.
func (w *window) checkTail(end int) error {
	if w.m == nil || w.tailChecked || end <= len(w.buf)&^(pageSize-1) {
		return nil
	}
	w.tailChecked = true
	if w.m.shrank() {
		return errFileChanged
	}
	return nil
}

// keepMapping prefetches ahead of the reader and drops the pages behind it.
func (w *window) keepMapping() {
	w.forgetBehind()
	w.prefetchAhead()
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
func (w *window) prefetchAhead() {
	until := min(w.start+prefetchDistance, w.end)
	if until-w.prefetched < prefetchStep {
		return
	}
	from := max(w.prefetched, w.start)
	if from >= until { // the reader is at the end of the mapping
		w.prefetched = until
		return
	}
	prefetch.Range(unsafe.Pointer(&w.buf[from]), uintptr(until-from))
	w.prefetched = until
}

// pageSize is the size of the memory pages a mapping is made of.
var pageSize = os.Getpagesize()

// forgetStep is how far the reader moves on in a mapping before the pages behind it
// are dropped from the process.
const forgetStep = 4 << 20

// forgetBehind drops the pages of the mapping before the reader's position,
// forgetStep bytes at a time. Without it a mapped trace would count in full towards
// the probe's resident memory, and the kernel would have to unmap it all at once at
// the end.
func (w *window) forgetBehind() {
	until := w.start &^ (pageSize - 1)
	if until-w.forgotten < forgetStep {
		return
	}
	_ = w.m.forget(w.buf[w.forgotten:until])
	w.forgotten = until
}

// leaveMapping moves the unread end of the mapping into a buffer of the heap, for
// reading on past the end of the mapping, and unmaps the file. Mostly this only
// finds the end of the file, so the buffer is small; it grows when a record needs it.
// A file now shorter than the mapping was cut under the reader: its last mapped page
// read as zeros rather than faulting, and leaveMapping returns errFileChanged.
func (w *window) leaveMapping(need int) error {
	if w.m.shrank() {
		return errFileChanged
	}
	buf := make([]byte, max(minBufferSize, need))
	n := copy(buf, w.buf[w.start:w.end])
	w.consumed += int64(w.start)
	w.buf, w.start, w.end = buf, 0, n
	_ = w.m.close()
	w.m = nil
	return nil
}

// maxEmptyReads is how many reads in a row may return nothing before the stream is
// declared stuck.
const maxEmptyReads = 100

// fill makes at least need unread bytes available, moving the unread ones to the front
// and growing the buffer as data arrives. It returns io.EOF if the stream ended with no
// unread byte left and io.ErrUnexpectedEOF if it ended with fewer than need.
func (w *window) fill(need int) error {
	if w.end-w.start >= need {
		return nil
	}
	if w.m != nil {
		if err := w.leaveMapping(need); err != nil {
			return err
		}
	}
	if w.start > 0 {
		n := copy(w.buf, w.buf[w.start:w.end])
		w.consumed += int64(w.start)
		w.start, w.end = 0, n
	}
	empty := 0
	for w.end < need {
		if w.end == len(w.buf) {
			// Grow only by what has arrived, so that a damaged length cannot make a
			// short file allocate a large buffer.
			grown := make([]byte, min(2*len(w.buf), max(need, len(w.buf))))
			copy(grown, w.buf[:w.end])
			w.buf = grown
		}
		n, err := w.r.Read(w.buf[w.end:])
		w.end += n
		switch {
		case err == nil && n == 0:
			if empty++; empty > maxEmptyReads {
				return io.ErrNoProgress
			}
		case err == nil, w.end >= need:
			empty = 0
		case errors.Is(err, io.EOF) && w.end == 0:
			return io.EOF
		case errors.Is(err, io.EOF):
			return io.ErrUnexpectedEOF
		default:
			return err
		}
	}
	return nil
}

// byteOrder reads the integers of a file or section in the byte order it was
// written in.
type byteOrder struct{ big bool }

func (o byteOrder) u16(b []byte) uint16 {
	if o.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (o byteOrder) u32(b []byte) uint32 {
	if o.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (o byteOrder) u64(b []byte) uint64 {
	if o.big {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}
