package trapcap_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowprobe/flowprobe/trapout/trapcap"
	"github.com/flowprobe/flowprobe/trapout/unirec"
)

const goldenDir = "../../testdata/trap"

// loggerCSV decodes trapcap files and prints them as logger -t does, stopping at the
// first end-of-data message.
func loggerCSV(t *testing.T, paths ...string) []byte {
	t.Helper()
	r, err := trapcap.Open(paths...)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out bytes.Buffer
	w := unirec.NewCSVWriter(&out, unirec.CSVOptions{Header: true})
	setTemplate := func() {
		tmpl, err := unirec.ParseTemplate(r.Hello().Spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.SetTemplate(tmpl); err != nil {
			t.Fatal(err)
		}
	}
	setTemplate()
	for {
		msg, err := r.Next()
		if errors.Is(err, trapcap.ErrFormatChanged) {
			setTemplate()
			continue
		}
		if err != nil {
			t.Fatalf("read %s: %v", r.Name(), err)
		}
		if len(msg) <= 1 {
			return out.Bytes()
		}
		if err := w.Write(msg); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDecodeGolden(t *testing.T) {
	cases := []struct{ trapcap, csv string }{
		{"flows.trapcap", "flows.logger.csv"},
		{"flows.nobuf.trapcap", "flows.logger.csv"},
		{"flows.noeof.trapcap", "flows.logger.csv"},
		{"alltypes.trapcap", "alltypes.logger.csv"},
		{"basicflow.trapcap", "basicflow.logger.csv"},
	}
	for _, c := range cases {
		t.Run(c.trapcap, func(t *testing.T) {
			got := loggerCSV(t, filepath.Join(goldenDir, c.trapcap))
			want, err := os.ReadFile(filepath.Join(goldenDir, c.csv))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("csv differs\ngot:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// replay writes a CSV file to a trapcap as logreplay does: every valid row, then the
// one-byte end-of-data message unless noEOF, then a flush.
func replay(t *testing.T, csvPath string, out *trapcap.Writer, noEOF bool) {
	t.Helper()
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := unirec.NewCSVReader(f, csvPath)
	if err != nil {
		t.Fatal(err)
	}
	r.Warn = func(err error) { t.Errorf("unexpected warning: %v", err) }
	hello := trapcap.Hello{Format: trapcap.FormatUniRec, Spec: r.Template().String()}
	if err := out.SetFormat(hello); err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := out.Send(rec); err != nil {
			t.Fatal(err)
		}
	}
	if !noEOF {
		if err := out.Send([]byte{0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEncodeGolden(t *testing.T) {
	cases := []struct {
		csv, trapcap string
		opts         trapcap.Options
		noEOF        bool
	}{
		{csv: "flows.csv", trapcap: "flows.trapcap"},
		{csv: "flows.csv", trapcap: "flows.nobuf.trapcap",
			opts: trapcap.Options{Unbuffered: true}},
		{csv: "flows.csv", trapcap: "flows.noeof.trapcap", noEOF: true},
		{csv: "alltypes.csv", trapcap: "alltypes.trapcap"},
		{csv: "basicflow.csv", trapcap: "basicflow.trapcap"},
	}
	for _, c := range cases {
		t.Run(c.trapcap, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.trapcap")
			w, err := trapcap.Create(path, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			replay(t, filepath.Join(goldenDir, c.csv), w, c.noEOF)
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(goldenDir, c.trapcap))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%d bytes differ from the %d golden bytes at offset %d",
					len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
