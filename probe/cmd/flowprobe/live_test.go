package main

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// TestLiveSIGTERM captures on a veth in a throw-away namespace, stops flowprobe with
// SIGTERM and checks that the open flow was exported with end reason forced.
func TestLiveSIGTERM(t *testing.T) {
	testhost.RequireRoot(t)
	for _, mode := range liveModes {
		t.Run(mode, func(t *testing.T) { liveSIGTERM(t, mode) })
	}
}

func liveSIGTERM(t *testing.T, mode string) {
	host := testhost.New(t, testhost.Options{})

	cmd := exec.Command("ip", "netns", "exec", host.Probe.Namespace, binary,
		"-I", host.Probe.Link, "--mode", mode, "-o", "csv", "-v")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	// The sockets exist once the "started" line is logged.
	started := make(chan bool, 1)
	var logs strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		ok := false
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			if !ok && strings.Contains(sc.Text(), `"started"`) {
				ok = true
				started <- true
			}
		}
		if !ok {
			started <- false
		}
	}()
	select {
	case ok := <-started:
		if !ok {
			t.Fatalf("flowprobe stopped before capturing")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("flowprobe did not start within 10 s")
	}

	const packets = 5
	for i := range packets {
		frame, err := testhost.UDP4Frame(&host.Peer, &host.Probe, 5000, 6000, 0,
			make([]byte, 10+i))
		if err != nil {
			t.Fatal(err)
		}
		if err := host.Peer.Inject(frame); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond) // the ring hands over blocks every 10 ms
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("flowprobe exited with %v\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("flowprobe did not exit within 10 s of SIGTERM")
	}

	var found bool
	for _, r := range readCSV(t, stdout.String()) {
		if r["SRC_PORT"] != "5000" || r["DST_PORT"] != "6000" {
			continue
		}
		found = true
		if r["PACKETS"] != "5" || r["BYTES"] != "200" || r["END_REASON"] != "forced" ||
			r["SRC_IP"] != host.Peer.Addr.Addr().String() {
			t.Errorf("flow exported as %v", r)
		}
		if r["IF_INDEX"] == "0" {
			t.Errorf("live flow has no interface index: %v", r)
		}
	}
	if !found {
		t.Fatalf("the injected flow was not exported:\n%s", stdout.String())
	}
}
