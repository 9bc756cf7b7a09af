package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// run is one measured run of a probe on the trace.
type run struct {
	wall, cpu time.Duration // cpu is user plus system time of the probe
	maxRSS    int64         // peak resident set, bytes
	records   int64         // flow records the sink counted
	options   int64         // option records (exporter metadata) the sink counted
	sinkDrops int64         // datagrams the sink's socket dropped, -1 when unknown
	malformed int64
	// uncounted is the number of data sets that came before their template, whose
	// records the sink could not count.
	uncounted int64
}

// probe is a command under test. Its arguments may hold {trace}, {port} and {dir},
// replaced by the trace path, the sink's UDP port and a scratch directory.
type probe struct {
	name string
	path string
	args []string
}

func (p probe) argv(trace, dir string, port int) []string {
	r := strings.NewReplacer("{trace}", trace, "{port}", strconv.Itoa(port), "{dir}", dir)
	out := make([]string, len(p.args))
	for i, a := range p.args {
		out[i] = r.Replace(a)
	}
	return out
}

// measure runs the probe once against a fresh sink and returns what it cost and
// what it exported.
func measure(p probe, trace, dir string) (run, error) {
	s, err := startSink()
	if err != nil {
		return run{}, err
	}
	cmd := exec.Command(p.path, p.argv(trace, dir, s.port())...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr

	start := time.Now()
	runErr := cmd.Run()
	wall := time.Since(start)
	count, drops, sinkErr := s.finish()
	if runErr != nil {
		return run{}, fmt.Errorf("%s %s: %w\n%s", p.name, strings.Join(cmd.Args[1:], " "),
			runErr, lastLines(stderr.String(), 8))
	}

	r := run{wall: wall, records: count.FlowRecords, options: count.OptionRecords,
		sinkDrops: drops, malformed: count.Malformed, uncounted: count.UnknownSets}
	if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.cpu = time.Duration(u.Utime.Nano() + u.Stime.Nano())
		r.maxRSS = u.Maxrss * 1024 // Linux reports kilobytes
	}
	if sinkErr != nil {
		return r, fmt.Errorf("%s: %d malformed IPFIX messages, the first: %w",
			p.name, count.Malformed, sinkErr)
	}
	return r, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}
