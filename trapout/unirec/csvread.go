package unirec

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// CSVError is a problem in one place of a CSV file: a skipped row, a time that read
// as 0, or a bad header.
type CSVError struct {
	File  string
	Line  int    // 1-based line number in the file
	Field string // field name, empty when the problem is not one field's
	Err   error
}

// Error returns "file:line: field NAME: cause", without the field part when the
// problem is the row's.
func (e *CSVError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d: field %s: %v", e.File, e.Line, e.Field, e.Err)
}

// Unwrap returns the cause.
func (e *CSVError) Unwrap() error { return e.Err }

// CSVReader reads the CSV that NEMEA's logreplay -f reads: a header line holding a
// full template in any field order, optionally preceded by a "time," column (files
// from logger -T), then one record per line with columns in header order.
//
// Rows are handled like logreplay handles them: a row with a static or array value
// that does not parse is skipped and reported through Warn; a time value that does
// not parse is stored as 0, reported, and the row is kept. Unlike logreplay, a last
// line without a newline is read, not dropped.
type CSVReader struct {
	// Warn, when set, receives a *CSVError for every skipped row and every time
	// value that was stored as 0.
	Warn func(error)
	// MaxRows, when above 0, ends the input after that many rows (skipped ones
	// included), as logreplay -c does.
	MaxRows int

	name    string
	in      *bufio.Reader
	tmpl    *Template
	columns []int
	hasTime bool
	line    int
	rows    int
	skipped int
	buf     []byte
	rec     []byte
	pending []string
	scratch []byte
	varBuf  []byte
	rowTime time.Time
	// warnedRow is the line whose column count was reported, to report it once.
	warnedRow int
}

// NewCSVReader reads the header from in. name is used in error messages.
func NewCSVReader(in io.Reader, name string) (*CSVReader, error) {
	r := &CSVReader{name: name, in: bufio.NewReaderSize(in, 64<<10)}
	header, err := r.readLine()
	if err == io.EOF && len(header) == 0 {
		return nil, &CSVError{File: name, Line: 1, Err: errors.New("missing header line")}
	}
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	spec := string(header)
	if rest, ok := strings.CutPrefix(spec, "time,"); ok {
		r.hasTime, spec = true, rest
	}
	r.tmpl, err = ParseTemplate(spec)
	if err != nil {
		return nil, &CSVError{File: name, Line: 1, Err: err}
	}
	for part := range strings.SplitSeq(spec, ",") {
		f, _ := parseFieldDef(part)
		r.columns = append(r.columns, r.tmpl.Index(f.Name))
	}
	r.rec = r.tmpl.NewRecord()
	r.pending = make([]string, r.tmpl.Len())
	return r, nil
}

// Template returns the template built from the header, in canonical order.
func (r *CSVReader) Template() *Template { return r.tmpl }

// HasTimeColumn reports whether the header started with "time,".
func (r *CSVReader) HasTimeColumn() bool { return r.hasTime }

// RowTime returns the time column of the last row read, as local time (the zero time
// when the column did not parse or the file has none).
func (r *CSVReader) RowTime() time.Time { return r.rowTime }

// Skipped returns how many rows were skipped as invalid.
func (r *CSVReader) Skipped() int { return r.skipped }

// Next returns the next valid record, built in canonical layout. The slice is reused
// by the following call. At the end of input it returns io.EOF.
func (r *CSVReader) Next() ([]byte, error) {
	for {
		if r.MaxRows > 0 && r.rows >= r.MaxRows {
			return nil, io.EOF
		}
		line, err := r.readLine()
		if err == io.EOF && len(line) == 0 {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("read %s: %w", r.name, err)
		}
		r.rows++
		rec, rowErr := r.parseRow(string(line))
		if rowErr == nil {
			return rec, nil
		}
		r.skipped++
		if r.Warn != nil {
			r.Warn(rowErr)
		}
	}
}

// readLine returns the next line without its '\n', reusing r.buf.
func (r *CSVReader) readLine() ([]byte, error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.in.ReadSlice('\n')
		r.buf = append(r.buf, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == nil || len(r.buf) > 0 {
			r.line++
		}
		if n := len(r.buf); n > 0 && r.buf[n-1] == '\n' {
			r.buf = r.buf[:n-1]
		}
		return r.buf, err
	}
}

func (r *CSVReader) parseRow(line string) ([]byte, *CSVError) {
	t := r.tmpl
	r.rec = t.Reset(r.rec)
	pos := 0
	if r.hasTime {
		var col string
		col, pos = nextCSVColumn(line, pos, &r.scratch)
		r.rowTime = parseLocalTime(col)
	}
	for k, fi := range r.columns {
		if pos > len(line) {
			// logreplay reads missing columns as empty values; say why they are.
			r.warnColumns(k)
		}
		var col string
		col, pos = nextCSVColumn(line, pos, &r.scratch)
		col = cutColumn(col)
		if t.fields[fi].Type.Dynamic() {
			r.pending[fi] = strings.Clone(col)
			continue
		}
		timeErr, err := t.setStaticFromText(r.rec, fi, col)
		if err != nil {
			return nil, r.fieldError(fi, err)
		}
		if timeErr != nil && r.Warn != nil {
			r.Warn(r.fieldError(fi, fmt.Errorf("%w, stored as 0", timeErr)))
		}
	}
	if pos <= len(line) {
		r.warnColumns(-1)
	}
	for fi := t.firstDyn; fi < len(t.fields); fi++ {
		var err error
		r.varBuf, err = appendDynamicFromText(r.varBuf[:0], t.fields[fi].Type, r.pending[fi])
		if err == nil {
			r.rec, err = t.SetVar(r.rec, fi, r.varBuf)
		}
		if err != nil {
			return nil, r.fieldError(fi, err)
		}
	}
	return r.rec, nil
}

// warnColumns reports a row with too few columns (have of them) or, with have -1,
// too many; logreplay ignores extra columns.
func (r *CSVReader) warnColumns(have int) {
	if r.Warn == nil || r.warnedRow == r.line {
		return
	}
	r.warnedRow = r.line
	want := len(r.columns)
	if r.hasTime {
		want++
	}
	what := "more"
	if have >= 0 {
		what = fmt.Sprint(have)
		if r.hasTime {
			what = fmt.Sprint(have + 1)
		}
	}
	r.Warn(&CSVError{File: r.name, Line: r.line,
		Err: fmt.Errorf("row has %s columns, the header has %d", what, want)})
}

func (r *CSVReader) fieldError(fi int, err error) *CSVError {
	return &CSVError{File: r.name, Line: r.line, Field: r.tmpl.fields[fi].Name, Err: err}
}

// parseLocalTime reads logger's -T column, "%Y-%m-%dT%H:%M:%S" in local time.
func parseLocalTime(s string) time.Time {
	tm, _, ok := scanDateTime(s)
	if !ok {
		return time.Time{}
	}
	return time.Date(tm[0], time.Month(tm[1]), tm[2], tm[3], tm[4], tm[5], 0, time.Local)
}
