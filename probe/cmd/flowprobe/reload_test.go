package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
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

	cmd := exec.Command("ip", "netns", "exec", host.Probe.Namespace, binary,
		"--config", conf)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 64)
	var logs bytes.Buffer
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
					t.Fatalf("log ended before %q:\n%s", word, logs.String())
				}
				logs.WriteString(l + "\n")
				if strings.Contains(l, word) {
					return
				}
			case <-timeout:
				t.Fatalf("no %q in the log within 10 s:\n%s", word, logs.String())
			}
		}
	}
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

	waitFor(`"started"`)
	send(3)
	write(after, 8192)
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor("reload: these changes wait for a restart")
	if !strings.Contains(logs.String(), "cache.size") {
		t.Errorf("the size change is not named:\n%s", logs.String())
	}
	waitFor("reload: configuration applied")
	send(2)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go func() {
		for l := range lines {
			logs.WriteString(l + "\n")
		}
	}()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("flowprobe: %v\n%s", err, logs.String())
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
