package unirec

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// AppendCSVHeader appends the header line logger -t prints, without the newline: the
// canonical template string with delim between the fields.
func (t *Template) AppendCSVHeader(dst []byte, delim byte) []byte {
	for i, f := range t.fields {
		if i > 0 {
			dst = append(dst, delim)
		}
		dst = append(dst, f.Type.String()...)
		dst = append(dst, ' ')
		dst = append(dst, f.Name...)
	}
	return dst
}

// AppendCSV appends rec as one logger line, without the newline, fields in canonical
// order separated by delim. rec must pass Validate; dynamic fields whose data lies
// outside rec print as empty. It does not allocate when dst has room.
//
// As in C, where the line is a C string, a char field holding a NUL byte ends the
// line there. C logger also cuts fields whose text outgrows its line buffer (4096
// bytes, grown only by the binary size of each field); this prints them whole.
func (t *Template) AppendCSV(dst []byte, rec []byte, delim byte) []byte {
	for i, f := range t.fields {
		if i > 0 {
			dst = append(dst, delim)
		}
		switch {
		case f.Type == TypeString:
			dst = appendCSVString(dst, t.Var(rec, i))
		case f.Type == TypeBytes:
			for _, b := range t.Var(rec, i) {
				dst = append(dst, hexDigits[b>>4], hexDigits[b&15])
			}
		case f.Type.IsArray():
			dst = appendCSVArray(dst, f.Type.Elem(), t.Var(rec, i))
		case f.Type == TypeChar:
			if rec[f.Offset] == 0 {
				return dst
			}
			dst = append(dst, rec[f.Offset])
		default:
			dst = appendScalar(dst, f.Type, rec[f.Offset:])
		}
	}
	return dst
}

// appendScalar formats the static value of type typ at the start of b.
func appendScalar(dst []byte, typ Type, b []byte) []byte {
	switch typ {
	case TypeUint8:
		return strconv.AppendUint(dst, uint64(b[0]), 10)
	case TypeInt8:
		return strconv.AppendInt(dst, int64(int8(b[0])), 10)
	case TypeUint16:
		return strconv.AppendUint(dst, uint64(le.Uint16(b)), 10)
	case TypeInt16:
		return strconv.AppendInt(dst, int64(int16(le.Uint16(b))), 10)
	case TypeUint32:
		return strconv.AppendUint(dst, uint64(le.Uint32(b)), 10)
	case TypeInt32:
		return strconv.AppendInt(dst, int64(int32(le.Uint32(b))), 10)
	case TypeUint64:
		return strconv.AppendUint(dst, le.Uint64(b), 10)
	case TypeInt64:
		return strconv.AppendInt(dst, int64(le.Uint64(b)), 10)
	case TypeFloat:
		return appendCFloat(dst, float64(math.Float32frombits(le.Uint32(b))))
	case TypeDouble:
		return appendCFloat(dst, math.Float64frombits(le.Uint64(b)))
	case TypeIPAddr:
		return AppendIP(dst, DecodeIP([16]byte(b)))
	case TypeMACAddr:
		return AppendMAC(dst, [6]byte(b))
	case TypeTime:
		return Time(le.Uint64(b)).AppendText(dst)
	}
	return dst
}

// appendCFloat is printf("%f"): six decimals, never an exponent, every integer digit
// of huge values, and glibc's names for the special values.
func appendCFloat(dst []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		if math.Signbit(v) {
			return append(dst, "-nan"...)
		}
		return append(dst, "nan"...)
	case math.IsInf(v, 1):
		return append(dst, "inf"...)
	case math.IsInf(v, -1):
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, v, 'f', 6, 64)
}

// appendCSVString quotes s as logger does: '"' doubled, LF turned into a space and
// every other byte outside printable ASCII dropped.
func appendCSVString(dst []byte, s []byte) []byte {
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"':
			dst = append(dst, '"', '"')
		case c == '\n':
			dst = append(dst, ' ')
		case c >= 0x20 && c <= 0x7e:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

func appendCSVArray(dst []byte, elem Type, data []byte) []byte {
	dst = append(dst, '[')
	size := elem.Size()
	for k := 0; k+size <= len(data); k += size {
		if k > 0 {
			dst = append(dst, '|')
		}
		dst = appendScalar(dst, elem, data[k:k+size])
	}
	return append(dst, ']')
}

// CSVOptions select the logger options that shape its output.
type CSVOptions struct {
	Delim      byte             // field delimiter (logger -d); 0 means ','
	Header     bool             // print the header line before the first record (-t)
	TimePrefix bool             // prefix each line with the receive time (-T)
	Now        func() time.Time // clock for TimePrefix; nil means time.Now
}

// CSVWriter prints records as NEMEA's logger does, one line per Write. It is not safe
// for concurrent use.
type CSVWriter struct {
	out        io.Writer
	opts       CSVOptions
	tmpl       *Template
	headerDone bool
	line       []byte
}

// NewCSVWriter returns a writer printing to out.
func NewCSVWriter(out io.Writer, opts CSVOptions) *CSVWriter {
	if opts.Delim == 0 {
		opts.Delim = ','
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &CSVWriter{out: out, opts: opts, line: make([]byte, 0, 4096)}
}

// SetTemplate sets the template of the records that follow. With Header set, the
// first template's header line is printed; like logger, later changes print none.
func (w *CSVWriter) SetTemplate(t *Template) error {
	w.tmpl = t
	if !w.opts.Header || w.headerDone {
		return nil
	}
	w.headerDone = true
	w.line = w.line[:0]
	if w.opts.TimePrefix {
		w.line = append(w.line, "time,"...)
	}
	w.line = append(t.AppendCSVHeader(w.line, w.opts.Delim), '\n')
	if _, err := w.out.Write(w.line); err != nil {
		return fmt.Errorf("write csv header: %w", err)
	}
	return nil
}

// Write prints one record with a single write to the output. A record that does not
// fit the template is an error and prints nothing.
func (w *CSVWriter) Write(rec []byte) error {
	if w.tmpl == nil {
		return fmt.Errorf("write csv record: no template set")
	}
	if err := w.tmpl.Validate(rec); err != nil {
		return fmt.Errorf("write csv record: %w", err)
	}
	w.line = w.line[:0]
	if w.opts.TimePrefix {
		w.line = w.opts.Now().UTC().AppendFormat(w.line, "2006-01-02T15:04:05")
		w.line = append(w.line, ',')
	}
	w.line = append(w.tmpl.AppendCSV(w.line, rec, w.opts.Delim), '\n')
	if _, err := w.out.Write(w.line); err != nil {
		return fmt.Errorf("write csv record: %w", err)
	}
	return nil
}
