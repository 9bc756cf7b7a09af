package text

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// Format is a text layout.
type Format uint8

// The layouts an Exporter writes.
const (
	Table Format = iota // columns aligned with spaces, a header line first
	CSV                 // comma-separated values, a header line first
	JSON                // one JSON object per line, no header
)

var formatNames = [...]string{Table: "table", CSV: "csv", JSON: "json"}

// String returns the format's name as ParseFormat accepts it.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("format(%d)", uint8(f))
}

// ParseFormat returns the Format named s: "table", "csv" or "json".
func ParseFormat(s string) (Format, error) {
	for f, name := range formatNames {
		if strings.EqualFold(s, name) {
			return Format(f), nil
		}
	}
	return 0, fmt.Errorf("unknown text format %q (want table, csv or json)", s)
}

// Exporter writes records as text; it implements flow.Exporter. Writing a record
// allocates nothing. Like every flow.Exporter it is not safe for concurrent use.
type Exporter struct {
	format Format
	w      *bufio.Writer
	closer io.Closer // the file the exporter opened itself, nil otherwise
	buf    []byte
	header bool // whether the header line was written
}

// New returns an Exporter that writes to w in the given format. Close flushes but does
// not close w.
func New(w io.Writer, format Format) *Exporter {
	return &Exporter{format: format, w: bufio.NewWriterSize(w, 64<<10),
		buf: make([]byte, 0, 1024)}
}

// Create returns an Exporter that writes to a new file at path (truncating an existing
// one), or to standard output when path is "" or "-". Close closes the file.
func Create(path string, format Format) (*Exporter, error) {
	if path == "" || path == "-" {
		return New(os.Stdout, format), nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("text output: %w", err)
	}
	e := New(f, format)
	e.closer = f
	return e, nil
}

// Export writes one line per record. The header goes out with the first call.
func (e *Exporter) Export(records []flow.Record) error {
	if !e.header {
		e.writeHeader()
	}
	for i := range records {
		e.buf = e.appendRecord(e.buf[:0], &records[i])
		if _, err := e.w.Write(e.buf); err != nil {
			return fmt.Errorf("text output: %w", err)
		}
	}
	return nil
}

// Flush writes out buffered lines.
func (e *Exporter) Flush() error {
	if err := e.w.Flush(); err != nil {
		return fmt.Errorf("text output: %w", err)
	}
	return nil
}

// Close writes the header if no record came, flushes, and closes a file made by
// Create.
func (e *Exporter) Close() error {
	if !e.header {
		e.writeHeader()
	}
	err := e.Flush()
	if e.closer != nil {
		if cerr := e.closer.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("text output: %w", cerr)
		}
		e.closer = nil
	}
	return err
}

func (e *Exporter) writeHeader() {
	e.header = true
	b := e.buf[:0]
	switch e.format {
	case Table:
		for i, c := range columns {
			b = pad(b, i, c.tableWidth(), len(c.name))
			b = append(b, c.name...)
		}
	case CSV:
		for i, c := range columns {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, c.name...)
		}
	default:
		return
	}
	b = append(b, '\n')
	e.buf = b
	// A write error sticks in the bufio.Writer and comes back from the next call.
	_, _ = e.w.Write(b)
}

// pad puts the separator and the right-aligning spaces before column i's value of n
// bytes.
func pad(b []byte, i, width, n int) []byte {
	if i > 0 {
		b = append(b, ' ')
	}
	for ; n < width; n++ {
		b = append(b, ' ')
	}
	return b
}

func (e *Exporter) appendRecord(b []byte, r *flow.Record) []byte {
	switch e.format {
	case Table:
		for i, c := range columns {
			start := len(b)
			if c.human != nil {
				b = c.human(b, r)
			} else {
				b = c.raw(b, r)
			}
			if len(b) == start {
				b = append(b, '-') // keeps the row splittable on spaces
			}
			b = alignRight(b, start, i, c.tableWidth())
		}
	case CSV:
		for i, c := range columns {
			if i > 0 {
				b = append(b, ',')
			}
			b = c.raw(b, r)
		}
	case JSON:
		b = append(b, '{')
		for i, c := range columns {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, c.name...)
			b = append(b, `":`...)
			if c.quoted {
				b = append(b, '"')
			}
			b = c.raw(b, r)
			if c.quoted {
				b = append(b, '"')
			}
		}
		b = append(b, '}')
	}
	return append(b, '\n')
}

// alignRight moves the value written at b[start:] right, behind the separator and
// padding that pad would have put in front of it.
func alignRight(b []byte, start, i, width int) []byte {
	n := len(b) - start
	lead := max(width-n, 0)
	if i > 0 {
		lead++
	}
	if lead == 0 {
		return b
	}
	for range lead {
		b = append(b, ' ')
	}
	copy(b[start+lead:], b[start:start+n])
	for j := start; j < start+lead; j++ {
		b[j] = ' '
	}
	return b
}
