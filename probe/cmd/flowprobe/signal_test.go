package main

import (
	"fmt"
	"os"
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
	p := startProbe(t, nil, "-r", "../../../testdata/pcap/tcpreplay-test.pcap",
		"-i", "u:"+name)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, "stopping", 10*time.Second)
	select {
	case <-p.done:
		t.Fatalf("flowprobe exited (code %d) although its output never got a client",
			p.code)
	case <-time.After(500 * time.Millisecond):
	}
	if code := p.stop(t, syscall.SIGTERM, 5*time.Second); code != exitLoss {
		t.Fatalf("after the second signal: exit code %d, want %d:\n%s", code, exitLoss,
			p.log())
	}
}
