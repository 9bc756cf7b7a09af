package main

import (
	"fmt"
	"io"
	"slices"
)

// figures are one line of the table: a probe's medians, a reference, or a ratio.
type figures struct {
	wall, cpu float64 // seconds
	pps       float64 // packets per second of wall time
	cpuPPS    float64 // packets per second of CPU time, steadier on a busy machine
	rssMB     float64
	records   float64
}

// summary is the median of a probe's runs and what went wrong in any of them.
type summary struct {
	figures
	recordsVary                     bool
	sinkDrops, malformed, uncounted int64
}

// The reference figures of docs/design.md, measured elsewhere on the same machine
// kind, on a trace of referencePackets packets and referenceFlows biflows.
const (
	referencePackets = 2_000_000
	referenceFlows   = 100_000
)

var (
	refIpfixprobe = refFigures(1.06, 1.0, 102, 100_000)
	refSoftflowd  = refFigures(1.55, 1.55, 34, 194_330)
)

func refFigures(wall, cpu, rssMB, records float64) figures {
	return figures{wall: wall, cpu: cpu, pps: referencePackets / wall,
		cpuPPS: referencePackets / cpu, rssMB: rssMB, records: records}
}

func (r run) String() string {
	return fmt.Sprintf("wall %.3fs  cpu %.3fs  peak RSS %.1f MB  records %d  "+
		"option records %d  dropped by the sink %d  malformed %d  sets before template %d",
		r.wall.Seconds(), r.cpu.Seconds(), float64(r.maxRSS)/1e6, r.records, r.options,
		r.sinkDrops, r.malformed, r.uncounted)
}

func summarize(runs []run, packets int64) summary {
	median := func(get func(run) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = get(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	var s summary
	s.wall = median(func(r run) float64 { return r.wall.Seconds() })
	s.cpu = median(func(r run) float64 { return r.cpu.Seconds() })
	s.rssMB = median(func(r run) float64 { return float64(r.maxRSS) / 1e6 })
	s.records = median(func(r run) float64 { return float64(r.records) })
	s.pps = float64(packets) / s.wall
	s.cpuPPS = float64(packets) / s.cpu
	for _, r := range runs {
		s.recordsVary = s.recordsVary || r.records != runs[0].records
		s.sinkDrops += max(r.sinkDrops, 0)
		s.malformed += r.malformed
		s.uncounted += r.uncounted
	}
	return s
}

const rowFormat = "%-30s %8s %10s %7s %12s %9s %9s\n"

func printRow(out io.Writer, label string, f figures) {
	fmt.Fprintf(out, rowFormat, label, fmt.Sprintf("%.3f", f.wall), mpps(f.pps),
		fmt.Sprintf("%.2f", f.cpu), mpps(f.cpuPPS), fmt.Sprintf("%.0f MB", f.rssMB),
		fmt.Sprintf("%.0f", f.records))
}

func printRatio(out io.Writer, label string, a, b figures) {
	fmt.Fprintf(out, rowFormat, label, ratio(a.wall, b.wall), ratio(a.pps, b.pps),
		ratio(a.cpu, b.cpu), ratio(a.cpuPPS, b.cpuPPS), ratio(a.rssMB, b.rssMB),
		ratio(a.records, b.records))
}

func printTable(out io.Writer, truth groundTruth, results map[string][]run) {
	packets := truth.Total.Packets
	fmt.Fprintf(out, rowFormat, "probe (median of runs)", "wall s", "packets/s", "CPU s",
		"packets/CPU s", "peak RSS", "records")
	sums := map[string]summary{}
	for _, name := range []string{"flowprobe", "softflowd"} {
		runs := results[name]
		if len(runs) == 0 {
			continue
		}
		s := summarize(runs, packets)
		sums[name] = s
		printRow(out, fmt.Sprintf("%s (%d runs)", name, len(runs)), s.figures)
		if s.recordsVary {
			fmt.Fprintf(out, "  %s: the record count differed between runs; the median "+
				"is shown\n", name)
		}
		if s.sinkDrops > 0 || s.malformed > 0 || s.uncounted > 0 {
			fmt.Fprintf(out, "  %s: over all runs the sink's socket dropped %d datagrams, "+
				"the sink refused %d messages and got %d data sets before their "+
				"template: its record count is short\n",
				name, s.sinkDrops, s.malformed, s.uncounted)
		}
	}
	fp, haveFP := sums["flowprobe"]
	sf, haveSF := sums["softflowd"]
	if haveFP && haveSF {
		printRatio(out, "flowprobe / softflowd", fp.figures, sf.figures)
	}

	fmt.Fprintln(out, "\nReference figures from docs/design.md, NOT measured here "+
		"(same machine kind, same kind of trace):")
	printRow(out, "ipfixprobe 5.7 (reference)", refIpfixprobe)
	printRow(out, "softflowd 1.1 (reference)", refSoftflowd)
	if packets != referencePackets || truth.Total.Flows != referenceFlows {
		fmt.Fprintf(out, "  (no ratios to them: they were taken on a trace of %d packets "+
			"and %d flows)\n", referencePackets, referenceFlows)
		return
	}
	if haveFP {
		printRatio(out, "flowprobe / ipfixprobe (ref)", fp.figures, refIpfixprobe)
	}
	if haveSF {
		printRatio(out, "softflowd / its reference", sf.figures, refSoftflowd)
		fmt.Fprintln(out, "  (how this machine compares with the one the references "+
			"come from)")
	}
	if haveFP && haveSF {
		printRatio(out, "flowprobe / ipfixprobe (scaled)", scaledBySoftflowd(fp.figures,
			sf.figures), refIpfixprobe)
		fmt.Fprintln(out, "  (flowprobe's speeds times softflowd's reference over its "+
			"speed here;\n   steadier on a busy machine than the ratio above)")
	}
}

// scaledBySoftflowd estimates flowprobe's speed on the machine of the references,
// using softflowd, measured here in the same runs, as the yardstick: each speed is
// multiplied by softflowd's reference figure over softflowd's own here. Memory and
// records do not depend on the machine and stay as measured.
func scaledBySoftflowd(fp, sf figures) figures {
	if sf.pps == 0 || sf.cpuPPS == 0 {
		return fp
	}
	s := fp
	s.pps = fp.pps * refSoftflowd.pps / sf.pps
	s.cpuPPS = fp.cpuPPS * refSoftflowd.cpuPPS / sf.cpuPPS
	s.wall = referencePackets / s.pps
	s.cpu = referencePackets / s.cpuPPS
	return s
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

func mpps(pps float64) string { return fmt.Sprintf("%.2f M", pps/1e6) }
