package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// xdpSummary is the "xdp" line flowprobe logs at the end of an xdp run.
type xdpSummary struct {
	Frames       uint64 `json:"frames"`
	TablePackets uint64 `json:"table_packets"`
	Partials     uint64 `json:"partial_flows"`
	RingPackets  uint64 `json:"ring_packets"`
	RingLost     uint64 `json:"ring_lost"`
	Unparsed     uint64 `json:"unparsed"`
	Redirected   uint64 `json:"redirected"`
	NoSocket     uint64 `json:"no_socket"`
	Received     uint64 `json:"socket_received"`
	Dropped      uint64 `json:"socket_dropped"`
	Message      string `json:"message"`
}

// liveRun is flowprobe capturing on a test host's probe end, writing CSV.
type liveRun struct {
	cmd      *exec.Cmd
	stdout   bytes.Buffer
	logs     []string
	logsDone chan struct{}
}

// startLive starts flowprobe in the probe end's namespace with args after -I, and
// returns once it has logged that it started.
func startLive(t testing.TB, host *testhost.Host, args ...string) *liveRun {
	t.Helper()
	args = append([]string{"netns", "exec", host.Probe.Namespace, binary,
		"-I", host.Probe.Link, "-o", "csv", "-v"}, args...)
	r := &liveRun{cmd: exec.Command("ip", args...), logsDone: make(chan struct{})}
	r.cmd.Stdout = &r.stdout
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.cmd.Process.Kill() })
	started := make(chan bool, 1)
	go func() {
		defer close(r.logsDone)
		sc := bufio.NewScanner(stderr)
		ok := false
		for sc.Scan() {
			r.logs = append(r.logs, sc.Text())
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
			t.Fatal("flowprobe stopped before capturing")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("flowprobe did not start within 10 s")
	}
	return r
}

// stop sends SIGTERM and waits up to 15 s for a clean exit.
func (r *liveRun) stop(t testing.TB) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { <-r.logsDone; done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("flowprobe exited with %v\n%s", err, strings.Join(r.logs, "\n"))
		}
	case <-time.After(15 * time.Second):
		t.Fatal("flowprobe did not exit within 15 s of SIGTERM")
	}
}

// summary returns the xdp line of the log of a stopped run.
func (r *liveRun) summary(t testing.TB) xdpSummary {
	t.Helper()
	for _, l := range r.logs {
		var s xdpSummary
		if json.Unmarshal([]byte(l), &s) == nil && s.Message == "xdp" {
			return s
		}
	}
	t.Fatalf("no xdp summary in the log:\n%s", strings.Join(r.logs, "\n"))
	return xdpSummary{}
}

// parserRefused returns the frames the user-space parser did not count as flow
// packets, from the frames_REASON fields of the "finished" line of a stopped run.
func (r *liveRun) parserRefused(t testing.TB) uint64 {
	t.Helper()
	for _, l := range r.logs {
		var fields map[string]any
		if json.Unmarshal([]byte(l), &fields) != nil || fields["message"] != "finished" {
			continue
		}
		var n uint64
		for k, v := range fields {
			if f, ok := v.(float64); ok && strings.HasPrefix(k, "frames_") {
				n += uint64(f)
			}
		}
		return n
	}
	t.Fatalf("no finished line in the log:\n%s", strings.Join(r.logs, "\n"))
	return 0
}
