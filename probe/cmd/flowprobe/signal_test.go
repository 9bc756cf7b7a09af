package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
)

// TestSecondSignalQuits blocks flowprobe on a TRAP output no module reads (a UNIX
// socket output waits for its first client), and checks that the first SIGTERM
// starts the orderly stop, which must wait for the output, and that a second one
// gives up on the stuck output: flowprobe exits with 4, the loss counted.
func TestSecondSignalQuits(t *testing.T) {
	name := fmt.Sprintf("flowprobe-test-%d", os.Getpid())
	// The killed process cannot remove its socket file.
	t.Cleanup(func() { os.Remove(ifc.SocketPath(name)) })
	cmd := exec.Command(binary, "-r", "../../../testdata/pcap/tcpreplay-test.pcap",
		"-i", "u:"+name, "-v")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitFor := func(word string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("flowprobe ended its log before %q", word)
				}
				if strings.Contains(l, word) {
					return
				}
			case <-timeout:
				t.Fatalf("no %q in the log within 10 s", word)
			}
		}
	}
	// Signals are handled once the run has started.
	waitFor(`"started"`)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor("stopping")
	done := make(chan error, 1)
	go func() {
		for range lines {
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		t.Fatalf("flowprobe exited (%v) although its output never got a client", err)
	case <-time.After(500 * time.Millisecond):
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != exitLoss {
			t.Fatalf("after the second signal: %v, want exit code %d", err, exitLoss)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("flowprobe still runs 5 s after the second SIGTERM")
	}
}
