package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/trapout"
)

// countTRAPFile counts the records of a trapcap file up to its end-of-data marker or
// the first error, which it returns (nil at the marker).
func countTRAPFile(t *testing.T, path string) (uint64, error) {
	t.Helper()
	ctx, err := trapout.Open("f:"+path, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	var n uint64
	for {
		_, err := ctx.Input(0).Recv()
		var changed *trapout.FormatChangedError
		switch {
		case err == nil:
			n++
		case errors.As(err, &changed):
		case err == io.EOF:
			return n, nil
		default:
			return n, err
		}
	}
}

// TestFaultFileOutputFull writes the TRAP file output onto a 64 KiB tmpfs that fills
// up early in the run, beside a CSV output. flowprobe must say which file failed and
// why (once: the warning is rate limited), exit with 4, keep going, and give the CSV
// output every flow. The file output loses whole containers when a write fails; every
// record of them must be counted lost, and the file must end at its last whole
// container so that it reads back without an error.
func TestFaultFileOutputFull(t *testing.T) {
	testhost.RequireRoot(t)
	mnt := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs",
		mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})

	trace := "../../../testdata/pcap/gopacket-cip.pcap"
	wantPackets, _, err := countTrace(t, trace)
	if err != nil {
		t.Fatal(err)
	}
	trapFile := filepath.Join(mnt, "flows.trapcap")
	csv := filepath.Join(t.TempDir(), "flows.csv")
	_, stderr, code := flowprobe(t, "-r", trace, "-i", "f:"+trapFile, "-o", "csv:"+csv)
	if code != exitLoss {
		t.Fatalf("exit %d, want %d:\n%s", code, exitLoss, stderr)
	}
	if !strings.Contains(stderr, trapFile) || !strings.Contains(stderr, "no space left") {
		t.Fatalf("the error names neither the file nor the cause:\n%s", stderr)
	}
	if strings.Contains(stderr, "write "+trapFile+": write") {
		t.Errorf("the error names the file twice:\n%s", stderr)
	}
	if n := strings.Count(stderr, `"export failed"`); n != 1 {
		t.Errorf("%d export warnings in a run of under 10 s, want 1:\n%s", n, stderr)
	}
	records, packets := csvTotals(t, csv)
	if packets != wantPackets || records == 0 {
		t.Fatalf("the CSV output got %d records of %d packets; the trace has %d",
			records, packets, wantPackets)
	}

	inFile, readErr := countTRAPFile(t, trapFile)
	lost := logCount(t, stderr, "flow records were not delivered", "failed") +
		logCount(t, stderr, "flow records were not delivered", "dropped")
	if lost == 0 || inFile+lost != records || readErr != nil {
		t.Fatalf("%d flows: %d in the full file (read: %v), %d counted lost", records,
			inFile, readErr, lost)
	}
	t.Logf("%d flows: %d in the full file, %d counted lost", records, inFile, lost)
}
