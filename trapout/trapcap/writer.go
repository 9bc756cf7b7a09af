package trapcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// MaxMessage is the largest message a buffer can carry; its length is a uint16.
const MaxMessage = 0xffff

// Options are the parameters of an f: output interface.
type Options struct {
	// Append never overwrites: every file gets the first free ".%05u" suffix (":a").
	Append bool
	// RotateMinutes starts a new file every that many minutes (":time="); 0 is off.
	RotateMinutes int
	// RotateSize starts a new file once the current one holds this many bytes
	// (":size=", given in MiB there); 0 is off.
	RotateSize int64
	// Unbuffered writes every message as its own buffer ("buffer=off").
	Unbuffered bool
	// Now is the clock for file names and time rotation; nil means time.Now. File
	// names use the location of the times it returns (local time for time.Now).
	Now func() time.Time
}

// Writer writes messages to trapcap files as libtrap's file output does: messages
// are packed into buffers of at most MaxPayload bytes, a buffer is written when full,
// on Flush and on Close, and each file gets the hello before its first buffer, so a
// file that never got a buffer stays empty. It is not safe for concurrent use.
//
// A buffer that cannot be written (a full disk, a file that cannot be rotated) is
// lost whole: the error is a *LostError that counts its messages, and the Writer
// goes on with an empty buffer, so that a disk with room again gets the later
// messages. A write that fails half way leaves part of the buffer in the file; the
// Writer cuts the file back to the end of the last whole buffer, so that readers
// reach a clean end instead of a torn buffer. If even that fails, the error says so
// and the file ends in a torn buffer.
type Writer struct {
	path      string
	opts      Options
	file      *os.File
	name      string
	created   int64
	counter   int
	written   int64
	helloDone bool
	hello     Hello
	hasFormat bool
	buf       []byte
	count     int    // messages in buf
	lost      uint64 // messages in buffers that could not be written
	buffers   atomic.Uint64
}

// Buffers returns how many buffers were written so far. Unlike the other methods it
// may be called from any goroutine.
func (w *Writer) Buffers() uint64 { return w.buffers.Load() }

// LostError reports the messages a failed Send, Flush or Close lost: those of the
// buffer it could not write, and for Send the message it was given.
type LostError struct {
	Messages int
	Err      error
}

func (e *LostError) Error() string {
	return fmt.Sprintf("%v (%d messages lost)", e.Err, e.Messages)
}

func (e *LostError) Unwrap() error { return e.Err }

// Lost returns how many messages the Writer lost in buffers it could not write.
func (w *Writer) Lost() uint64 { return w.lost }

// Create creates the first output file, with any missing parent directories (mode
// 0755). path is a name template: it goes through strftime, so '%' must be written
// "%%".
func Create(path string, opts Options) (*Writer, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	w := &Writer{path: path, opts: opts, buf: make([]byte, 4, 4+MaxPayload)}
	if err := w.openNext(); err != nil {
		return nil, err
	}
	return w, nil
}

// Name returns the name of the file being written.
func (w *Writer) Name() string { return w.name }

// SetFormat sets the data format announced by the hello of each file. Setting a new
// format on a writer that has one first writes the buffered messages under the old
// format, then moves to the next file name. Where libtrap would truncate the file it
// just wrote (plain mode without rotation), the new file gets the first free
// ".%05u" suffix instead, so no data is lost.
func (w *Writer) SetFormat(h Hello) error {
	if h.Format == FormatUnknown {
		return errors.New("file interface: set format: unknown data format")
	}
	if !w.hasFormat {
		w.hello, w.hasFormat = h, true
		return nil
	}
	if h == w.hello {
		return nil
	}
	if err := w.Flush(); err != nil {
		return err
	}
	w.hello = h
	if w.written == 0 {
		w.helloDone = false
		return nil
	}
	name, err := w.nextName()
	if err != nil {
		return err
	}
	if name == w.name {
		if name, err = w.firstFree(name); err != nil {
			return err
		}
	}
	return w.open(name)
}

// Send queues one message. It fails when no format is set or the message is longer
// than MaxMessage. When the full buffer or, unbuffered, the message cannot be
// written, the error is a *LostError naming the file, and msg is lost with the
// buffer: a message Send accepted without error is in the file or in the buffer.
func (w *Writer) Send(msg []byte) error {
	if !w.hasFormat {
		return errors.New("file interface: send: no data format set")
	}
	if len(msg) > MaxMessage {
		return fmt.Errorf("file interface: send: message of %d bytes exceeds %d",
			len(msg), MaxMessage)
	}
	if len(w.buf)-4+2+len(msg) > MaxPayload {
		if err := w.Flush(); err != nil {
			var lost *LostError
			if errors.As(err, &lost) {
				lost.Messages++
				w.lost++
			}
			return err
		}
	}
	w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(len(msg)))
	w.buf = append(w.buf, msg...)
	w.count++
	if w.opts.Unbuffered {
		return w.Flush()
	}
	return nil
}

// Flush writes the buffered messages, if any, as one buffer, rotating first when a
// rotation is due and writing the hello first to a new file. On an error the
// buffer is dropped and the error is a *LostError that counts its messages.
func (w *Writer) Flush() error {
	if len(w.buf) == 4 {
		return nil
	}
	err := w.writeBuffer()
	if err != nil {
		err = &LostError{Messages: w.count, Err: err}
		w.lost += uint64(w.count)
	}
	w.buf, w.count = w.buf[:4], 0
	return err
}

func (w *Writer) writeBuffer() error {
	if err := w.rotateIfDue(); err != nil {
		return err
	}
	if !w.helloDone {
		if err := w.write(AppendHello(nil, w.hello)); err != nil {
			return err
		}
		w.helloDone = true
	}
	binary.BigEndian.PutUint32(w.buf, uint32(len(w.buf)-4))
	if err := w.write(w.buf); err != nil {
		return err
	}
	w.buffers.Add(1)
	return nil
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	err := w.Flush()
	if w.file != nil {
		if cerr := w.file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("file interface: close %s: %w", w.name, cerr)
		}
		w.file = nil
	}
	return err
}

func (w *Writer) rotateIfDue() error {
	if m := w.opts.RotateMinutes; m > 0 && (w.opts.Now().Unix()-w.created)/60 >= int64(m) {
		w.counter = 0
		return w.openNext()
	}
	if w.opts.RotateSize > 0 && w.written >= w.opts.RotateSize {
		return w.openNext()
	}
	return nil
}

// write writes b whole or cuts the file back to where it was.
func (w *Writer) write(b []byte) error {
	n, err := w.file.Write(b)
	if err == nil {
		w.written += int64(n)
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is named below, once
	}
	err = fmt.Errorf("file interface: write %s: %w", w.name, err)
	if n > 0 {
		if terr := w.cutBack(); terr != nil {
			return errors.Join(err, terr)
		}
	}
	return err
}

// cutBack truncates the file to the bytes written whole so far and moves the write
// offset there.
func (w *Writer) cutBack() error {
	if err := w.file.Truncate(w.written); err != nil {
		return fmt.Errorf("file interface: cut %s back to its last whole buffer: %w",
			w.name, err)
	}
	if _, err := w.file.Seek(w.written, io.SeekStart); err != nil {
		return fmt.Errorf("file interface: cut %s back to its last whole buffer: %w",
			w.name, err)
	}
	return nil
}

// openNext closes the current file and creates the next one.
func (w *Writer) openNext() error {
	name, err := w.nextName()
	if err != nil {
		return err
	}
	return w.open(name)
}

func (w *Writer) open(name string) error {
	if w.file != nil {
		if err := w.file.Close(); err != nil {
			return fmt.Errorf("file interface: close %s: %w", w.name, err)
		}
		w.file = nil
	}
	if dir := filepath.Dir(name); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("file interface: create directory: %w", err)
		}
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return fmt.Errorf("file interface: %w", err)
	}
	w.file, w.name, w.written, w.helloDone = f, name, 0, false
	return nil
}
