package main

import (
	"io"
	"net"
	"strings"
	"testing"
)

// TestExampleConfigRuns starts flowprobe with the example configuration of deploy/,
// a trace instead of its interface and a collector of the test's own.
func TestExampleConfigRuns(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	_, stderr, code := flowprobe(t, "--config", "../../../deploy/flowprobe.yaml",
		"-r", "../../../testdata/pcap/tcpreplay-test.pcap", "-x", ln.Addr().String(),
		"--metrics", freeAddr(t))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, `"started"`) || !strings.Contains(stderr, `"finished"`) {
		t.Errorf("the example's log level info shows no start and finish:\n%s", stderr)
	}
}

// TestMetricsPortBusy checks that a metrics address already in use stops the start.
func TestMetricsPortBusy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, stderr, code := flowprobe(t, "-r", "../../../testdata/pcap/tcpreplay-test.pcap",
		"--metrics", ln.Addr().String())
	if code != exitSetup || !strings.Contains(stderr, "cannot serve") {
		t.Errorf("exit %d, want %d: %s", code, exitSetup, stderr)
	}
}
