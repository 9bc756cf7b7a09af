// Command compare runs flow probes side by side on one pcap trace, each exporting
// IPFIX over UDP to a counting sink on 127.0.0.1, and prints for each the median
// wall time, packets per second, CPU time, peak RSS and records exported, the
// ratios between them, and the reference figures of docs/design.md.
//
//	compare -trace bench-out/trace.pcap -flowprobe bin/flowprobe -runs 3
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

func main() {
	if err := runCompare(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

// groundTruth is the part of pcapgen's JSON the comparison prints.
type groundTruth struct {
	Total struct {
		Flows    int64 `json:"flows"`
		Uniflows int64 `json:"uniflows"`
		Packets  int64 `json:"packets"`
	} `json:"total"`
}

func runCompare(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	trace := fs.String("trace", "", "pcap trace to replay (required)")
	truthPath := fs.String("truth", "", "pcapgen ground truth (default: trace + .json)")
	runs := fs.Int("runs", 3, "runs of each probe")
	fpPath := fs.String("flowprobe", "", "flowprobe binary; empty to leave it out")
	fpArgs := fs.String("flowprobe-args", "-r {trace} -x 127.0.0.1:{port} -u",
		"flowprobe arguments")
	sfPath := fs.String("softflowd", "softflowd", "softflowd binary; empty to leave it out")
	// softflowd 1.1 reading a file must not be given a control socket (-c after -r):
	// it then tests poll results it never asked for and can block in accept(2).
	// -m lifts its flow table above the trace's concurrent flows, so that it exports
	// each flow once, as it would with the default table on a slower trace.
	sfArgs := fs.String("softflowd-args", "-r {trace} -n 127.0.0.1:{port} -v 10 -d -m 262144",
		"softflowd arguments")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *trace == "" || *runs < 1 {
		return errors.New("usage: compare -trace FILE [-runs N] [-flowprobe BIN]")
	}
	if *truthPath == "" {
		*truthPath = *trace + ".json"
	}
	truth, err := readTruth(*truthPath)
	if err != nil {
		return err
	}
	if err := warmPageCache(*trace); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "flowprobe-bench-")
	if err != nil {
		return fmt.Errorf("scratch directory: %w", err)
	}
	defer os.RemoveAll(dir)

	var probes []probe
	for _, p := range []probe{
		{name: "flowprobe", path: *fpPath, args: strings.Fields(*fpArgs)},
		{name: "softflowd", path: *sfPath, args: strings.Fields(*sfArgs)},
	} {
		if p.path == "" {
			fmt.Fprintf(out, "%s: left out (no binary given)\n", p.name)
			continue
		}
		if p.path, err = exec.LookPath(p.path); err != nil {
			fmt.Fprintf(out, "%s: left out: %v\n", p.name, err)
			continue
		}
		probes = append(probes, p)
	}

	fmt.Fprintf(out, "trace %s: %d packets, %d biflows, %d uniflows (ground truth)\n",
		*trace, truth.Total.Packets, truth.Total.Flows, truth.Total.Uniflows)
	warnIfBusy(out)
	fmt.Fprintln(out)
	results := map[string][]run{}
	failed := map[string]error{}
	// Runs alternate between the probes so that a slow spell of the machine hits both.
	for i := range *runs {
		for _, p := range probes {
			if failed[p.name] != nil {
				continue
			}
			r, err := measure(p, *trace, dir)
			if err != nil {
				failed[p.name] = err
				fmt.Fprintf(out, "%s run %d failed: %v\n", p.name, i+1, err)
				continue
			}
			fmt.Fprintf(out, "%-10s run %d: %s\n", p.name, i+1, r)
			results[p.name] = append(results[p.name], r)
		}
	}
	fmt.Fprintln(out)
	printTable(out, truth, results)
	printTruthCheck(out, truth, probes, results)
	return nil
}

// printTruthCheck compares each probe's record count with the flows of the trace:
// biflows for flowprobe, uniflows for softflowd and for flowprobe --split.
func printTruthCheck(out io.Writer, truth groundTruth, probes []probe,
	results map[string][]run) {
	fmt.Fprintln(out, "\nRecords against the ground truth (last run):")
	for _, p := range probes {
		runs := results[p.name]
		if len(runs) == 0 {
			continue
		}
		want, kind := truth.Total.Flows, "biflows"
		if p.name == "softflowd" || slices.Contains(p.args, "--split") {
			want, kind = truth.Total.Uniflows, "uniflows"
		}
		got := runs[len(runs)-1].records
		verdict := "match"
		if got != want {
			verdict = fmt.Sprintf("MISMATCH by %+d", got-want)
		}
		fmt.Fprintf(out, "  %-10s %d records for %d %s: %s\n", p.name, got, want, kind, verdict)
	}
}

func readTruth(path string) (groundTruth, error) {
	var t groundTruth
	data, err := os.ReadFile(path)
	if err != nil {
		return t, fmt.Errorf("ground truth: %w", err)
	}
	if err := json.Unmarshal(data, &t); err != nil {
		return t, fmt.Errorf("ground truth %s: %w", path, err)
	}
	return t, nil
}

// warnIfBusy says so when other work competes for the CPUs: wall times then
// mostly measure the competition, CPU times much less.
func warnIfBusy(out io.Writer) {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return
	}
	var load float64
	if _, err := fmt.Sscan(string(data), &load); err != nil {
		return
	}
	if cpus := runtime.NumCPU(); load > float64(cpus)/2 {
		fmt.Fprintf(out, "warning: load average %.2f on %d CPUs: wall times and packets/s "+
			"are unreliable, CPU seconds less so\n", load, cpus)
	}
}

// warmPageCache reads the trace once so that no run pays for the disk.
func warmPageCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("trace: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(io.Discard, f); err != nil {
		return fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	return nil
}
