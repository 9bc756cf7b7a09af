package trapcap_test

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowprobe/flowprobe/trapout/trapcap"
)

// smallDisk mounts a tmpfs of size bytes and returns its directory.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs",
		dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// TestWriterFullDiskAccounting writes far more than a small disk holds. Every
// message must be either read back from the file, which must end cleanly, or
// counted lost by the errors and by Lost; each error names the file once.
func TestWriterFullDiskAccounting(t *testing.T) {
	for _, unbuffered := range []bool{false, true} {
		name := "buffered"
		if unbuffered {
			name = "unbuffered"
		}
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(smallDisk(t, "256k"), "flows.trapcap")
			w, err := trapcap.Create(path, trapcap.Options{Unbuffered: unbuffered})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.SetFormat(helloX); err != nil {
				t.Fatal(err)
			}
			const n = 1000
			msg := make([]byte, 998) // 1000 bytes with its length
			lost := 0
			count := func(err error) {
				if err == nil {
					return
				}
				var le *trapcap.LostError
				if !errors.As(err, &le) {
					t.Fatalf("error %v is not a *LostError", err)
				}
				if s := err.Error(); strings.Count(s, path) != 1 ||
					!strings.Contains(s, "no space left on device") {
					t.Fatalf("error %q: want the file named once and the cause", s)
				}
				lost += le.Messages
			}
			for range n {
				count(w.Send(msg))
			}
			count(w.Close())
			if lost == 0 || uint64(lost) != w.Lost() {
				t.Fatalf("errors counted %d messages lost, Lost says %d", lost, w.Lost())
			}
			read, err := readAllMessages(path)
			if err != nil {
				t.Fatalf("reading the full file back after %d messages: %v", read, err)
			}
			if read+lost != n || read == 0 {
				t.Fatalf("%d messages in the file and %d counted lost, of %d", read, lost, n)
			}
		})
	}
}

// readAllMessages counts the messages of a trapcap file up to its end, without the
// empty message the Reader returns there.
func readAllMessages(path string) (int, error) {
	r, err := trapcap.Open(path)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n := 0
	for {
		msg, err := r.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if len(msg) > 0 {
			n++
		}
	}
}
