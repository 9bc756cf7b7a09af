package unirec

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestCSVColumns(t *testing.T) {
	cases := []struct {
		line string
		want []string
	}{
		{`a,b,c`, []string{"a", "b", "c"}},
		{`"hello, world",x`, []string{"hello, world", "x"}},
		{`"say ""hi""",x`, []string{`say "hi"`, "x"}},
		{`"",x`, []string{"", "x"}},
		{`,,`, []string{"", "", ""}},
		{`"a\"b",x`, []string{`a\"b`, "x"}},
		{`ab"c,d",e`, []string{`abc,d"`, "e"}},
		{"\"tab\tinside\",\"cr\r\"", []string{"tab\tinside", "cr\r"}},
	}
	for _, c := range cases {
		var got []string
		var scratch []byte
		for pos := 0; pos <= len(c.line); {
			var col string
			col, pos = nextCSVColumn(c.line, pos, &scratch)
			got = append(got, col)
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q: columns %q, want %q", c.line, got, c.want)
		}
	}
}

// readCSV reads every record of a CSV text and prints it back as logger would.
func readCSV(t *testing.T, text string, maxRows int) (out []string, warnings []string) {
	t.Helper()
	r, err := NewCSVReader(strings.NewReader(text), "in.csv")
	if err != nil {
		t.Fatal(err)
	}
	r.MaxRows = maxRows
	r.Warn = func(err error) { warnings = append(warnings, err.Error()) }
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out, warnings
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(r.Template().AppendCSV(nil, rec, ',')))
	}
}

func TestCSVReaderRows(t *testing.T) {
	text := "uint16 P,string S,int8* A,time T\n" +
		"80,\"x\",[1|2],2024-01-01T00:00:00\n" +
		"abc,\"bad port\",[],2024-01-01T00:00:00\n" +
		"0x50,\"hex is not %u\",[0x7f|-1],2024-01-01T00:00:00\n" +
		"443,\"bad array\",[1|z],2024-01-01T00:00:00\n" +
		"22,\"bad time\",[],yesterday\n" +
		"\n" +
		"7,\"extra\",[],2024-01-01T00:00:00,surplus\n" +
		"8,\"short\",[]\n" +
		"65536,\"no newline\",[ 3 ],2024-01-01T00:00:01.25"
	out, warnings := readCSV(t, text, 0)
	wantOut := []string{
		`2024-01-01T00:00:00.000000,80,[1|2],"x"`,
		`2024-01-01T00:00:00.000000,0,[127|-1],"hex is not %u"`,
		`1970-01-01T00:00:00.000000,22,[],"bad time"`,
		`2024-01-01T00:00:00.000000,7,[],"extra"`,
		`1970-01-01T00:00:00.000000,8,[],"short"`,
		`2024-01-01T00:00:01.250000,0,[3],"no newline"`,
	}
	if strings.Join(out, "\n") != strings.Join(wantOut, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(out, "\n"), strings.Join(wantOut, "\n"))
	}
	wantWarn := []string{
		`in.csv:3: field P: invalid uint16 value "abc"`,
		`in.csv:5: field A: invalid int8 element "z"`,
		`in.csv:6: field T: invalid time "yesterday", stored as 0`,
		`in.csv:7: field P: invalid uint16 value ""`,
		`in.csv:8: row has more columns, the header has 4`,
		`in.csv:9: row has 3 columns, the header has 4`,
		`in.csv:9: field T: invalid time "", stored as 0`,
	}
	if strings.Join(warnings, "\n") != strings.Join(wantWarn, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"),
			strings.Join(wantWarn, "\n"))
	}

	if out, _ := readCSV(t, text, 3); len(out) != 2 {
		t.Errorf("MaxRows 3 gave %d records, want 2 (one of the 3 rows is invalid)", len(out))
	}
}

func TestCSVReaderHeader(t *testing.T) {
	cases := []struct{ text, want string }{
		{"", "in.csv:1: missing header line"},
		{"uint8 A,bogus B\n1,2\n", "in.csv:1: parse template"},
		{"time\n", "in.csv:1: parse template"},
	}
	for _, c := range cases {
		_, err := NewCSVReader(strings.NewReader(c.text), "in.csv")
		var ce *CSVError
		if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.text, err, c.want)
		}
	}
	r, err := NewCSVReader(strings.NewReader("time,uint8 B,uint8 A\n"+
		"2024-01-01T00:00:09,1,2\n"), "in.csv")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Next()
	if err != nil || !r.HasTimeColumn() || r.RowTime().Second() != 9 {
		t.Fatalf("time column: %v %v %v", err, r.HasTimeColumn(), r.RowTime())
	}
	if got := string(r.Template().AppendCSV(nil, rec, ',')); got != "2,1" {
		t.Errorf("columns in header order gave %q, want \"2,1\"", got)
	}
}

func TestSetVarAnyOrder(t *testing.T) {
	tmpl, err := ParseTemplate("uint8 X,string A,string B,bytes C")
	if err != nil {
		t.Fatal(err)
	}
	want := tmpl.NewRecord()
	for _, v := range []struct {
		name, data string
	}{{"A", "aa"}, {"B", ""}, {"C", "cccc"}} {
		if want, err = tmpl.SetVar(want, tmpl.Index(v.name), []byte(v.data)); err != nil {
			t.Fatal(err)
		}
	}
	got := tmpl.NewRecord()
	for _, v := range []struct {
		name, data string
	}{{"C", "cc"}, {"B", "bbb"}, {"A", "aa"}, {"C", "cccc"}, {"B", ""}} {
		if got, err = tmpl.SetVar(got, tmpl.Index(v.name), []byte(v.data)); err != nil {
			t.Fatal(err)
		}
	}
	if string(got) != string(want) || len(got) != tmpl.StaticSize()+6 {
		t.Errorf("record % x, want % x", got, want)
	}
	if err := tmpl.Validate(got); err != nil {
		t.Error(err)
	}
	if string(tmpl.Var(got, tmpl.Index("C"))) != "cccc" {
		t.Errorf("C reads %q", tmpl.Var(got, tmpl.Index("C")))
	}
	if _, err := tmpl.SetVar(got, tmpl.Index("A"), make([]byte, MaxRecordSize)); err == nil {
		t.Error("a record over 65535 bytes was accepted")
	}
	bad := append([]byte(nil), got...)
	bad[1+8+2] = 200 // the length of C now runs past the record
	if err := tmpl.Validate(bad); err == nil || !strings.Contains(err.Error(), "field C") {
		t.Errorf("corrupt descriptor: %v", err)
	}
}
