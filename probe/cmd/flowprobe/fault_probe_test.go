package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// runningProbe is a flowprobe process started by a fault test, with its log.
type runningProbe struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs strings.Builder
	done chan struct{} // closed when the process has exited
	code int           // exit code, once done is closed
}

// startProbe starts flowprobe with args plus -v and waits for its "started" line.
// With a host, it runs in the probe end's namespace and captures on its link with
// -I; the test's cleanup kills it if the test ends first.
func startProbe(t *testing.T, host *testhost.Host, args ...string) *runningProbe {
	t.Helper()
	args = append(args, "-v")
	var cmd *exec.Cmd
	if host != nil && !slices.Contains(args, "--mode") {
		// The fault tests use capture filters, which only afpacket has.
		args = append(args, "--mode", "afpacket")
	}
	if host != nil {
		full := append([]string{"netns", "exec", host.Probe.Namespace, binary,
			"-I", host.Probe.Link}, args...)
		cmd = exec.Command("ip", full...)
	} else {
		cmd = exec.Command(binary, args...)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &runningProbe{cmd: cmd, done: make(chan struct{})}
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			p.mu.Lock()
			p.logs.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if strings.Contains(sc.Text(), `"message":"started"`) {
				once.Do(func() { close(started) })
			}
		}
		err := cmd.Wait()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			p.code = exit.ExitCode()
		} else if err != nil {
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	select {
	case <-started:
	case <-p.done:
		t.Fatalf("flowprobe exited before it started:\n%s", p.log())
	case <-time.After(15 * time.Second):
		t.Fatalf("flowprobe did not start within 15 s:\n%s", p.log())
	}
	return p
}

// log returns what flowprobe logged so far.
func (p *runningProbe) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// waitLog waits until flowprobe has logged a line containing word, failing t after
// limit or when flowprobe exits first.
func (p *runningProbe) waitLog(t *testing.T, word string, limit time.Duration) {
	t.Helper()
	deadline := time.After(limit)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(p.log(), word) {
		select {
		case <-p.done:
			if strings.Contains(p.log(), word) {
				return
			}
			t.Fatalf("flowprobe exited before logging %q:\n%s", word, p.log())
		case <-deadline:
			t.Fatalf("no %q in the log within %v:\n%s", word, limit, p.log())
		case <-tick.C:
		}
	}
}

// stop sends sig and returns the exit code; it fails t if flowprobe takes longer than
// limit to exit.
func (p *runningProbe) stop(t *testing.T, sig syscall.Signal, limit time.Duration) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	return p.wait(t, limit)
}

// wait returns the exit code once flowprobe has exited, failing t after limit.
func (p *runningProbe) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(limit):
		t.Fatalf("flowprobe did not exit within %v:\n%s", limit, p.log())
		return -1
	}
}

// logLines returns the JSON log lines whose message is msg, as maps.
func logLines(t *testing.T, logs, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(logs) {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil || m["message"] != msg {
			continue
		}
		out = append(out, m)
	}
	return out
}

// logCount sums the numeric field of the log lines whose message is msg.
func logCount(t *testing.T, logs, msg, field string) uint64 {
	t.Helper()
	var sum uint64
	for _, m := range logLines(t, logs, msg) {
		if v, ok := m[field].(float64); ok {
			sum += uint64(v)
		}
	}
	return sum
}

// waitFor polls cond until it holds, failing t after 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// flowFrames builds n UDP frames from the peer to the probe end, each one a flow of
// its own: the source port runs from 1024 and the destination port is group.
func flowFrames(t *testing.T, host *testhost.Host, group uint16, n int) [][]byte {
	t.Helper()
	if n > 64000 {
		t.Fatalf("at most 64000 flows per group, not %d", n)
	}
	frames := make([][]byte, n)
	for i := range frames {
		f, err := testhost.UDP4Frame(&host.Peer, &host.Probe, uint16(1024+i), group, 0,
			make([]byte, 18))
		if err != nil {
			t.Fatal(err)
		}
		frames[i] = f
	}
	return frames
}

// inject sends frames from the peer end and fails t unless all of them went out.
func inject(t *testing.T, host *testhost.Host, frames [][]byte) {
	t.Helper()
	inj, err := host.Peer.NewInjector()
	if err != nil {
		t.Fatal(err)
	}
	defer inj.Close()
	if n, err := inj.SendBatch(frames); err != nil || n != len(frames) {
		t.Fatalf("sent %d of %d frames: %v", n, len(frames), err)
	}
}

// csvTotals reads a CSV output of flowprobe and returns its records and packets.
func csvTotals(t *testing.T, path string) (records, packets uint64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range readCSV(t, string(data)) {
		records++
		packets += r.uint(t, "PACKETS") + r.uint(t, "PACKETS_REV")
	}
	return records, packets
}
