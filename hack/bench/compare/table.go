package main

import (
	"fmt"
	"io"
	"slices"
)

// summary is the median of a probe's runs.
type summary struct {
	wall, cpu          float64 // seconds
	pps                float64
	rssMB              float64
	records            int64
	recordsVary        bool
	sinkDrops          int64
	options, malformed int64
}

// reference holds figures from docs/design.md, measured elsewhere on the same
// machine kind with the same kind of trace.
type reference struct {
	name                  string
	wall, pps, cpu, rssMB float64
	records               int64
}

var (
	refIpfixprobe = reference{"ipfixprobe 5.7 (reference)", 1.06, 1.9e6, 1.0, 102, 100_000}
	refSoftflowd  = reference{"softflowd 1.1 (reference)", 1.55, 1.3e6, 1.55, 34, 194_330}
)

func (r run) String() string {
	return fmt.Sprintf("wall %.3fs  cpu %.3fs  peak RSS %.1f MB  records %d  "+
		"option records %d  dropped by the sink %d  malformed %d",
		r.wall.Seconds(), r.cpu.Seconds(), float64(r.maxRSS)/1e6, r.records, r.options,
		r.sinkDrops, r.malformed)
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
	s := summary{
		wall:    median(func(r run) float64 { return r.wall.Seconds() }),
		cpu:     median(func(r run) float64 { return r.cpu.Seconds() }),
		rssMB:   median(func(r run) float64 { return float64(r.maxRSS) / 1e6 }),
		records: int64(median(func(r run) float64 { return float64(r.records) })),
	}
	s.pps = float64(packets) / s.wall
	for _, r := range runs {
		s.recordsVary = s.recordsVary || r.records != runs[0].records
		s.sinkDrops += max(r.sinkDrops, 0)
		s.options += r.options
		s.malformed += r.malformed
	}
	return s
}

// The reference figures were taken on a trace of this shape; ratios to them mean
// something only on a trace of the same shape.
const (
	referencePackets = 2_000_000
	referenceFlows   = 100_000
)

func printTable(out io.Writer, truth groundTruth, results map[string][]run) {
	packets := truth.Total.Packets
	const format = "%-28s %9s %11s %8s %10s %9s\n"
	fmt.Fprintf(out, format, "probe (median of runs)", "wall s", "packets/s", "CPU s",
		"peak RSS", "records")
	sums := map[string]summary{}
	for _, name := range []string{"flowprobe", "softflowd"} {
		runs := results[name]
		if len(runs) == 0 {
			continue
		}
		s := summarize(runs, packets)
		sums[name] = s
		records := fmt.Sprint(s.records)
		if s.recordsVary {
			records += "*"
		}
		fmt.Fprintf(out, format, fmt.Sprintf("%s (%d runs)", name, len(runs)),
			fmt.Sprintf("%.3f", s.wall), mpps(s.pps), fmt.Sprintf("%.2f", s.cpu),
			fmt.Sprintf("%.0f MB", s.rssMB), records)
		if s.sinkDrops > 0 || s.malformed > 0 {
			fmt.Fprintf(out, "  %s: the sink's socket dropped %d datagrams and the sink "+
				"refused %d messages over all runs: its record count is short\n",
				name, s.sinkDrops, s.malformed)
		}
	}
	for _, s := range sums {
		if s.recordsVary {
			fmt.Fprintln(out, "  * the record count differed between runs; the median is shown")
			break
		}
	}

	fp, haveFP := sums["flowprobe"]
	sf, haveSF := sums["softflowd"]
	if haveFP && haveSF {
		printRatio(out, format, "flowprobe / softflowd", fp, reference{
			wall: sf.wall, pps: sf.pps, cpu: sf.cpu, rssMB: sf.rssMB, records: sf.records})
	}

	fmt.Fprintln(out, "\nReference figures from docs/design.md, NOT measured here "+
		"(same machine kind, same kind of trace):")
	for _, ref := range []reference{refIpfixprobe, refSoftflowd} {
		fmt.Fprintf(out, format, ref.name, fmt.Sprintf("%.2f", ref.wall), mpps(ref.pps),
			fmt.Sprintf("%.2f", ref.cpu), fmt.Sprintf("%.0f MB", ref.rssMB), fmt.Sprint(ref.records))
	}
	if packets != referencePackets || truth.Total.Flows != referenceFlows {
		fmt.Fprintf(out, "  (no ratios to them: they were taken on a trace of %d packets "+
			"and %d flows)\n", referencePackets, referenceFlows)
		return
	}
	if haveFP {
		printRatio(out, format, "flowprobe / ipfixprobe (ref)", fp, refIpfixprobe)
	}
	if haveSF {
		printRatio(out, format, "softflowd / its reference", sf, refSoftflowd)
		fmt.Fprintln(out, "  (how this machine compares with the one the references come from)")
	}
}

func printRatio(out io.Writer, format, label string, s summary, base reference) {
	fmt.Fprintf(out, format, label, ratio(s.wall, base.wall), ratio(s.pps, base.pps),
		ratio(s.cpu, base.cpu), ratio(s.rssMB, base.rssMB),
		ratio(float64(s.records), float64(base.records)))
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

func mpps(pps float64) string { return fmt.Sprintf("%.2f M", pps/1e6) }
