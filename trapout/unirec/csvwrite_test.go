package unirec

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCSVWriterOptions(t *testing.T) {
	a, _ := ParseTemplate("uint16 P,string S")
	b, _ := ParseTemplate("uint8 X")
	recA := a.NewRecord()
	a.SetUint16(recA, a.Index("P"), 80)
	recA, _ = a.SetVar(recA, a.Index("S"), []byte("a\"b\nc\td\x7f\xc5\xbe"))
	recB := b.NewRecord()
	b.SetUint8(recB, 0, 7)
	clock := func() time.Time {
		return time.Date(2024, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
	}

	cases := []struct {
		opts CSVOptions
		want string
	}{
		{CSVOptions{}, "80,\"a\"\"b cd\"\n7\n"},
		{CSVOptions{Header: true, Delim: '\t'},
			"uint16 P\tstring S\n80\t\"a\"\"b cd\"\n7\n"},
		{CSVOptions{Header: true, TimePrefix: true, Now: clock},
			"time,uint16 P,string S\n2024-01-02T02:04:05,80,\"a\"\"b cd\"\n" +
				"2024-01-02T02:04:05,7\n"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		w := NewCSVWriter(&out, c.opts)
		if err := w.SetTemplate(a); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(recA); err != nil {
			t.Fatal(err)
		}
		// A new template prints no second header, as in logger.
		if err := w.SetTemplate(b); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(recB); err != nil {
			t.Fatal(err)
		}
		if out.String() != c.want {
			t.Errorf("%+v printed\n%q\nwant\n%q", c.opts, out.String(), c.want)
		}
		if err := w.Write(recB[:0]); err == nil || !strings.Contains(err.Error(), "shorter") {
			t.Errorf("a short record gave %v", err)
		}
	}

	w := NewCSVWriter(failingWriter{}, CSVOptions{})
	if err := w.Write(recB); err == nil {
		t.Error("writing before a template succeeded")
	}
	_ = w.SetTemplate(b)
	if err := w.Write(recB); !errors.Is(err, errDiskFull) {
		t.Errorf("a failing output gave %v", err)
	}
}

var errDiskFull = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestCSVCharNUL(t *testing.T) {
	tmpl, _ := ParseTemplate("uint16 P,char C,uint8 U")
	rec := tmpl.NewRecord()
	tmpl.SetUint16(rec, 0, 7)
	tmpl.SetUint8(rec, 2, 9)
	if got := string(tmpl.AppendCSV(nil, rec, ',')); got != "7," {
		t.Errorf("a NUL char printed %q, want the line cut there: \"7,\"", got)
	}
	tmpl.SetUint8(rec, 1, 'x')
	if got := string(tmpl.AppendCSV(nil, rec, ',')); got != "7,x,9" {
		t.Errorf("printed %q", got)
	}
}
