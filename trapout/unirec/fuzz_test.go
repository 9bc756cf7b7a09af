package unirec

import (
	"io"
	"os"
	"strings"
	"testing"
)

func FuzzParseTemplate(f *testing.F) {
	f.Add(basicFlow)
	f.Add("  uint8   A ,\tchar B,string S,ipaddr* X")
	f.Add("uint8 A,uint16 A")
	f.Fuzz(func(t *testing.T, spec string) {
		tmpl, err := ParseTemplate(spec)
		if err != nil {
			return
		}
		again, err := ParseTemplate(tmpl.String())
		if err != nil || again.String() != tmpl.String() {
			t.Fatalf("canonical form %q does not parse back to itself: %v", tmpl, err)
		}
	})
}

// FuzzDecodeRecord feeds arbitrary bytes as records of a template with every type:
// Validate must reject what AppendCSV cannot print, and nothing may panic.
func FuzzDecodeRecord(f *testing.F) {
	header, err := os.ReadFile("../../testdata/trap/alltypes.csv")
	if err != nil {
		f.Fatal(err)
	}
	spec, _, _ := strings.Cut(string(header), "\n")
	tmpl, err := ParseTemplate(spec)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(make([]byte, tmpl.StaticSize()))
	f.Add(make([]byte, tmpl.StaticSize()+40))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, rec []byte) {
		if tmpl.Validate(rec) != nil {
			return
		}
		_ = tmpl.AppendCSV(nil, rec, ',')
		for i := tmpl.FirstDynamic(); i < tmpl.Len(); i++ {
			if tmpl.Var(rec, i) == nil && len(rec) > 0 {
				t.Fatalf("field %d: valid record but no data slice", i)
			}
		}
	})
}

// FuzzCSVReader checks that any CSV input yields records that are valid for the
// template and print without panicking.
func FuzzCSVReader(f *testing.F) {
	for _, name := range []string{"flows.csv", "alltypes.csv", "basicflow.csv"} {
		b, err := os.ReadFile("../../testdata/trap/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("time,uint8 A,string S\n2024-01-01T00:00:00,1,\"x\"\"\",2\n")
	f.Fuzz(func(t *testing.T, text string) {
		r, err := NewCSVReader(strings.NewReader(text), "fuzz.csv")
		if err != nil {
			return
		}
		for range 10000 {
			rec, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Template().Validate(rec); err != nil {
				t.Fatalf("reader built an invalid record: %v", err)
			}
			_ = r.Template().AppendCSV(nil, rec, ',')
		}
	})
}
