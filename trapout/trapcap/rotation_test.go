package trapcap_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/trapout/trapcap"
	"github.com/flowprobe/flowprobe/trapout/unirec"
)

// writeBigCSV regenerates the input of testdata/trap/rotation_size as its README
// describes it: 1200 rows, ID i and a payload of 1000 copies of letter i mod 26.
func writeBigCSV(t *testing.T, path string) {
	var b strings.Builder
	b.WriteString("uint32 ID,string PAYLOAD\n")
	for i := range 1200 {
		fmt.Fprintf(&b, "%d,\"%s\"\n", i, strings.Repeat(string(rune('A'+i%26)), 1000))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sameFiles(t *testing.T, gotDir, wantDir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(gotDir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, names) {
		t.Fatalf("files %v, want %v", got, names)
	}
	for _, n := range names {
		g, err := os.ReadFile(filepath.Join(gotDir, n))
		if err != nil {
			t.Fatal(err)
		}
		w, err := os.ReadFile(filepath.Join(wantDir, n))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(g, w) {
			t.Errorf("%s: %d bytes differ from %d golden bytes at offset %d",
				n, len(g), len(w), firstDiff(g, w))
		}
	}
}

func TestRotationBySize(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "big.csv")
	writeBigCSV(t, csvPath)
	outDir := filepath.Join(dir, "out")
	path, opts, err := trapcap.ParseOutputParams(outDir + "/big.trapcap:size=1")
	if err != nil {
		t.Fatal(err)
	}
	w, err := trapcap.Create(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	replay(t, csvPath, w, false)
	sameFiles(t, outDir, filepath.Join(goldenDir, "rotation_size"),
		"big.trapcap.00000", "big.trapcap.00001")

	// Only the last file has the end-of-data message, so reading both gives all rows.
	out := loggerCSV(t, filepath.Join(outDir, "big.trapcap.00000"),
		filepath.Join(outDir, "big.trapcap.00001"))
	if lines := bytes.Count(out, []byte("\n")); lines != 1201 {
		t.Errorf("read %d lines from the rotated pair, want header + 1200", lines)
	}
}

// TestRotationByTime replays timed.csv with a clock that starts when the golden run
// started and advances as the time column does, as logreplay's sleeps did.
func TestRotationByTime(t *testing.T) {
	start := time.Date(2026, 12, 3, 15, 28, 39, 0, time.UTC)
	now := start
	outDir := t.TempDir()
	path, opts, err := trapcap.ParseOutputParams(outDir + "/timed.trapcap:time=1:buffer=off")
	if err != nil {
		t.Fatal(err)
	}
	opts.Now = func() time.Time { return now }
	w, err := trapcap.Create(path, opts)
	if err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(filepath.Join(goldenDir, "rotation_time", "timed.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := unirec.NewCSVReader(f, "timed.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !r.HasTimeColumn() {
		t.Fatal("time column not recognised")
	}
	if err := w.SetFormat(trapcap.Hello{Format: trapcap.FormatUniRec,
		Spec: r.Template().String()}); err != nil {
		t.Fatal(err)
	}
	var first time.Time
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if first.IsZero() {
			first = r.RowTime()
		}
		now = start.Add(r.RowTime().Sub(first))
		if err := w.Send(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Send([]byte{0}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, outDir, filepath.Join(goldenDir, "rotation_time"),
		"timed.trapcap.202612031528", "timed.trapcap.202612031529")
}

func TestOutputNaming(t *testing.T) {
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		params   string
		existing []string
		want     string
	}{
		{params: "x.trapcap", want: "x.trapcap"},
		{params: "x.trapcap:w", existing: []string{"x.trapcap"}, want: "x.trapcap"},
		{params: "x.trapcap:a", want: "x.trapcap.00000"},
		{params: "x.trapcap:a", existing: []string{"x.trapcap", "x.trapcap.00000"},
			want: "x.trapcap.00001"},
		{params: "x.trapcap:size=100", want: "x.trapcap.00000"},
		{params: "x.trapcap:time=30", want: "x.trapcap.202601020300"},
		{params: "x.trapcap:time=30:size=100", want: "x.trapcap.202601020300.00000"},
		{params: "x.trapcap:a:time=5", existing: []string{"x.trapcap.202601020300.00000"},
			want: "x.trapcap.202601020300.00001"},
		{params: "sub/dir/%Y/x.trapcap", want: "sub/dir/2026/x.trapcap"},
	}
	for i, c := range cases {
		// strftime would also format a '%' of the test's name in its temporary dir.
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			dir := t.TempDir()
			for _, e := range c.existing {
				if err := os.WriteFile(filepath.Join(dir, e), []byte("old"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			path, opts, err := trapcap.ParseOutputParams(dir + "/" + c.params)
			if err != nil {
				t.Fatal(err)
			}
			opts.Now = func() time.Time { return clock }
			w, err := trapcap.Create(path, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if got := strings.TrimPrefix(w.Name(), dir+"/"); got != c.want {
				t.Errorf("file %q, want %q", got, c.want)
			}
			for _, e := range c.existing {
				b, err := os.ReadFile(filepath.Join(dir, e))
				if e != c.want && (err != nil || string(b) != "old") {
					t.Errorf("existing %s was changed", e)
				}
			}
		})
	}
}
