package main

import (
	"bytes"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowprobe/flowprobe/tools/pcapgen/gen"
)

// writeTrace generates a small trace with its ground truth next to it.
func writeTrace(t *testing.T) (string, gen.Truth) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trace.pcap")
	truth, err := gen.WriteFile(path, gen.Config{Packets: 20_000, Flows: 1_000, Seed: 5,
		IPv6: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if err := truth.WriteFile(path + ".json"); err != nil {
		t.Fatal(err)
	}
	return path, truth
}

// TestSoftflowdExportsEveryUniflow measures softflowd, an independent probe, and
// checks that the sink counts one IPFIX record per flow direction of the trace.
func TestSoftflowdExportsEveryUniflow(t *testing.T) {
	sf, err := exec.LookPath("softflowd")
	if err != nil {
		t.Skip("softflowd is not installed (hack/setup-test-host.sh installs it)")
	}
	trace, truth := writeTrace(t)
	p := probe{name: "softflowd", path: sf,
		args: strings.Fields("-r {trace} -n 127.0.0.1:{port} -v 10 -d -m 262144")}

	r, err := measure(p, trace, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if r.records != truth.Total.Uniflows {
		t.Errorf("sink counted %d records, the trace has %d uniflows", r.records,
			truth.Total.Uniflows)
	}
	if r.sinkDrops != 0 || r.malformed != 0 || r.uncounted != 0 {
		t.Errorf("sink dropped %d datagrams, refused %d messages, could not count %d sets",
			r.sinkDrops, r.malformed, r.uncounted)
	}
	if r.wall <= 0 || r.cpu <= 0 || r.maxRSS <= 0 {
		t.Errorf("run not measured: %s", r)
	}
}

func TestCompareChecksRecordsAgainstTruth(t *testing.T) {
	if _, err := exec.LookPath("softflowd"); err != nil {
		t.Skip("softflowd is not installed (hack/setup-test-host.sh installs it)")
	}
	trace, truth := writeTrace(t)
	var out bytes.Buffer
	if err := runCompare([]string{"-trace", trace, "-runs", "1"}, &out); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("softflowd  %d records for %d uniflows: match",
		truth.Total.Uniflows, truth.Total.Uniflows)
	if !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
}

func TestCompareReportsFailingProbe(t *testing.T) {
	trace, _ := writeTrace(t)
	var out bytes.Buffer
	err := runCompare([]string{"-trace", trace, "-runs", "2", "-flowprobe", "false",
		"-softflowd", ""}, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"flowprobe run 1 failed", "exit status 1",
		"softflowd: left out", "NOT measured here"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "flowprobe run 2") {
		t.Errorf("a failed probe ran again:\n%s", out.String())
	}
}

// TestScaledBySoftflowd checks the estimate for the reference machine: a machine
// where softflowd runs at half its reference speed doubles flowprobe's speeds.
func TestScaledBySoftflowd(t *testing.T) {
	sf := figures{pps: refSoftflowd.pps / 2, cpuPPS: refSoftflowd.cpuPPS / 2}
	fp := figures{wall: 0.5, cpu: 0.8, pps: referencePackets / 0.5,
		cpuPPS: referencePackets / 0.8, rssMB: 70, records: 100_000}
	got := scaledBySoftflowd(fp, sf)
	want := figures{wall: 0.25, cpu: 0.4, pps: 2 * fp.pps, cpuPPS: 2 * fp.cpuPPS,
		rssMB: 70, records: 100_000}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Abs(b) }
	if !near(got.wall, want.wall) || !near(got.cpu, want.cpu) || !near(got.pps, want.pps) ||
		!near(got.cpuPPS, want.cpuPPS) || got.rssMB != want.rssMB ||
		got.records != want.records {
		t.Errorf("scaled figures %+v, want %+v", got, want)
	}
}
