package trapcap_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowprobe/flowprobe/trapout/trapcap"
)

var helloX = trapcap.Hello{Format: trapcap.FormatUniRec, Spec: "uint8 X"}

func TestWriterFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	w, err := trapcap.Create("/dev/full", trapcap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SetFormat(helloX); err != nil {
		t.Fatal(err)
	}
	if err := w.Send([]byte("x")); err != nil {
		t.Fatal(err)
	}
	err = w.Close()
	if err == nil || !strings.Contains(err.Error(), "no space left on device") ||
		!strings.Contains(err.Error(), "/dev/full") {
		t.Errorf("error %v, want a full-disk error naming /dev/full", err)
	}
}

func TestWriterRejects(t *testing.T) {
	w, err := trapcap.Create(filepath.Join(t.TempDir(), "x"), trapcap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Send([]byte("x")); err == nil {
		t.Error("send without a format succeeded")
	}
	if err := w.SetFormat(helloX); err != nil {
		t.Fatal(err)
	}
	if err := w.Send(make([]byte, trapcap.MaxMessage+1)); err == nil {
		t.Error("send of an oversized message succeeded")
	}
}

func TestWriterEmptyFileAndPacking(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x")
	w, err := trapcap.Create(path, trapcap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SetFormat(helloX); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Fatalf("file before the first buffer: %v, %v; want it empty", fi, err)
	}
	msg := make([]byte, 1006) // 1008 bytes with its length: 99 fit in one buffer
	for range 100 {
		if err := w.Send(msg); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hello := 8 + len(helloX.Spec)
	if want := hello + 4 + 99*1008 + 4 + 1008; len(b) != want {
		t.Errorf("file of %d bytes, want %d (two buffers)", len(b), want)
	}
}

// TestWriterFormatChange checks that records buffered under the old format stay in
// the old file under the old hello and that the new format gets a file of its own.
func TestWriterFormatChange(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x")
	w, err := trapcap.Create(path, trapcap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SetFormat(helloX); err != nil {
		t.Fatal(err)
	}
	if err := w.Send([]byte("old")); err != nil {
		t.Fatal(err)
	}
	helloY := trapcap.Hello{Format: trapcap.FormatUniRec, Spec: "uint16 Y"}
	if err := w.SetFormat(helloY); err != nil {
		t.Fatal(err)
	}
	if err := w.Send([]byte("new")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		hello trapcap.Hello
		msg   string
	}{{"x", helloX, "old"}, {"x.00000", helloY, "new"}} {
		r, err := trapcap.Open(filepath.Join(dir, c.name))
		if err != nil {
			t.Fatal(err)
		}
		msg, err := r.Next()
		if err != nil || string(msg) != c.msg || r.Hello() != c.hello {
			t.Errorf("%s: %q %v under %v, want %q under %v",
				c.name, msg, err, r.Hello(), c.msg, c.hello)
		}
		if msg, err := r.Next(); len(msg) != 0 || err != nil {
			t.Errorf("%s: after the record got %q %v, want the end", c.name, msg, err)
		}
		if _, err := r.Next(); !errors.Is(err, io.EOF) {
			t.Errorf("%s: %v, want io.EOF", c.name, err)
		}
		r.Close()
	}
}

func TestExpandInput(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"f.2", "f.1", "g"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("TRAPCAP_TEST_DIR", dir)
	got, err := trapcap.ExpandInput("$TRAPCAP_TEST_DIR/f.* " + dir + "/g")
	if err != nil {
		t.Fatal(err)
	}
	want := dir + "/f.1 " + dir + "/f.2 " + dir + "/g"
	if strings.Join(got, " ") != want {
		t.Errorf("files %q, want %q", got, want)
	}
	if _, err := trapcap.ExpandInput(dir + "/none.*"); err == nil {
		t.Error("a pattern matching nothing gave no error")
	}
}
