package trapcap_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowprobe/flowprobe/trapout/trapcap"
)

func readAll(r *trapcap.Reader) (msgs []string, err error) {
	for {
		msg, err := r.Next()
		if errors.Is(err, trapcap.ErrFormatChanged) {
			msgs = append(msgs, "format:"+r.Hello().Spec)
			continue
		}
		if err != nil {
			return msgs, err
		}
		msgs = append(msgs, string(msg))
	}
}

func TestReaderErrors(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join(goldenDir, "flows.trapcap"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty file", nil, "negotiation failed"},
		{"cut hello", golden[:5], "negotiation failed"},
		{"cut template", golden[:100], "negotiation failed"},
		{"cut buffer header", golden[:169], "truncated at offset 167"},
		{"cut buffer", golden[:1000], "truncated at offset 171"},
		{"oversized buffer", append(append([]byte{}, golden[:167]...), 0, 2, 0, 0),
			"corrupt at offset 167"},
		{"message past buffer end", append(append([]byte{}, golden[:167]...),
			0, 0, 0, 3, 0, 9, 1), "corrupt at offset 171"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.trapcap")
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := trapcap.Open(path)
			if err == nil {
				_, err = readAll(r)
			}
			if err == nil || err == io.EOF || !strings.Contains(err.Error(), c.want) ||
				!strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want one naming %s and saying %q", err, path, c.want)
			}
		})
	}
}

func TestReaderFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, spec string, msgs ...string) string {
		path := filepath.Join(dir, name)
		w, err := trapcap.Create(path, trapcap.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.SetFormat(trapcap.Hello{Format: trapcap.FormatUniRec, Spec: spec}); err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if err := w.Send([]byte(m)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	a := write("a", "uint8 X", "a1", "a2")
	b := write("b", "uint8 X", "b1")
	c := write("c", "uint16 Y", "c1")

	r, err := trapcap.Open(a, b, c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(r)
	if err != io.EOF {
		t.Fatalf("error %v, want io.EOF", err)
	}
	want := []string{"a1", "a2", "b1", "format:uint16 Y", "c1", ""}
	if strings.Join(got, ";") != strings.Join(want, ";") {
		t.Errorf("messages %q, want %q", got, want)
	}
}

func TestReaderStream(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join(goldenDir, "flows.trapcap"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := trapcap.NewReader(bytes.NewReader(golden), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(r)
	if err != io.EOF {
		t.Fatal(err)
	}
	// 20 records, the explicit end-of-data message, then the synthetic empty one.
	if len(got) != 22 || got[20] != "\x00" || got[21] != "" {
		t.Errorf("read %d messages ending %q, want 22 ending \"\\x00\", \"\"", len(got), got[20:])
	}
}

func FuzzReader(f *testing.F) {
	for _, name := range []string{"flows.trapcap", "flows.nobuf.trapcap", "alltypes.trapcap"} {
		b, err := os.ReadFile(filepath.Join(goldenDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := trapcap.NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		for range 100000 {
			if _, err := r.Next(); err != nil {
				return
			}
		}
		t.Fatal("reader did not end")
	})
}
