package flowexport

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/trapout"
)

// TestFullDiskCountsEveryRecord exports to an `f:` output on a disk that fills up
// early, with and without the end-of-data marker and buffering. The records read
// back from the file plus those the errors count lost must be all records exported.
func TestFullDiskCountsEveryRecord(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	for _, c := range []struct {
		name   string
		params string
		eof    bool
	}{
		{"buffered with EOF", "", true},
		{"buffered without EOF", "", false},
		{"unbuffered with EOF", ":buffer=off", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs",
				dir).CombinedOutput(); err != nil {
				t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
			}
			t.Cleanup(func() { exec.Command("umount", dir).Run() })
			path := filepath.Join(dir, "flows.trapcap")
			e, err := Open("f:"+path+c.params, Options{SendEOF: c.eof})
			if err != nil {
				t.Fatal(err)
			}
			lost := 0
			count := func(err error) {
				if err == nil {
					return
				}
				var le *LostError
				if !errors.As(err, &le) {
					t.Fatalf("error %v is not a *LostError", err)
				}
				lost += le.Records
			}
			batch := make([]flow.Record, 100)
			for i := range batch {
				batch[i] = record("198.18.0.1", "198.18.0.2", uint16(1024+i), 53, 17)
			}
			const batches = 40 // 4,000 records of 100 bytes: far over 128 KiB
			for i := range batches {
				count(e.Export(batch))
				if i%7 == 0 {
					count(e.Flush())
				}
			}
			count(e.Close())
			read := readBack(t, path)
			if lost == 0 || read+lost != batches*len(batch) {
				t.Fatalf("%d records in the file and %d counted lost, of %d", read, lost,
					batches*len(batch))
			}
		})
	}
}

// readBack counts the records of a trapcap file, which must end cleanly.
func readBack(t *testing.T, path string) int {
	t.Helper()
	ctx, err := trapout.Open("f:"+path, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	ctx.Input(0).SetRequired(Template)
	n := 0
	for {
		_, err := ctx.Input(0).Recv()
		var changed *trapout.FormatChangedError
		switch {
		case err == nil:
			n++
		case errors.As(err, &changed):
		case err == io.EOF:
			return n
		default:
			t.Fatalf("reading %s back after %d records: %v", path, n, err)
		}
	}
}
