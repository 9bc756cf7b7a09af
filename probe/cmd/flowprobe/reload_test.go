package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// TestReloadKeepsFlows captures live, rewrites the configuration file to send to
// another output and changes the cache size, reloads with SIGHUP, and checks that
// the open flow went on in one record to the new output, that the old output was
// closed, and that the size change was logged as waiting for a restart.
func TestReloadKeepsFlows(t *testing.T) {
	testhost.RequireRoot(t)
	host := testhost.New(t, testhost.Options{})
	dir := t.TempDir()
	before, after := filepath.Join(dir, "before.csv"), filepath.Join(dir, "after.csv")
	conf := filepath.Join(dir, "flowprobe.yaml")
	write := func(out string, size int) {
		t.Helper()
		text := "input:\n  interface: " + host.Probe.Link + "\noutputs:\n  text:\n" +
			"    - csv:" + out + "\ncache:\n  size: " + strconv.Itoa(size) +
			"\nlog:\n  level: info\n"
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(before, 4096)

	// The configuration names the interface; startProbe passes it with -I as well.
	p := startProbe(t, host, "--config", conf)
	send := func(n int) {
		t.Helper()
		for range n {
			frame, err := testhost.UDP4Frame(&host.Peer, &host.Probe, 7000, 7001, 0,
				make([]byte, 12))
			if err != nil {
				t.Fatal(err)
			}
			if err := host.Peer.Inject(frame); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}

	send(3)
	write(after, 8192)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, "reload: these changes wait for a restart", 10*time.Second)
	if !strings.Contains(p.log(), "cache.size") {
		t.Errorf("the size change is not named:\n%s", p.log())
	}
	p.waitLog(t, "reload: configuration applied", 10*time.Second)
	send(2)
	if code := p.stop(t, syscall.SIGTERM, 10*time.Second); code != exitOK {
		t.Fatalf("flowprobe exited with %d:\n%s", code, p.log())
	}

	old, err := os.ReadFile(before)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(old), "SRC_IP,") {
		t.Errorf("the old output was not closed with its header: %q", old)
	}
	data, err := os.ReadFile(after)
	if err != nil {
		t.Fatal(err)
	}
	var found int
	for _, r := range append(readCSV(t, string(old)), readCSV(t, string(data))...) {
		if r["SRC_PORT"] == "7000" {
			found++
			if r["PACKETS"] != "5" {
				t.Errorf("the flow was cut by the reload: %v", r)
			}
		}
	}
	if found != 1 {
		t.Fatalf("%d records of the injected flow, want 1:\nbefore:\n%s\nafter:\n%s", found,
			old, data)
	}
}
