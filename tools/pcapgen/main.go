// Command pcapgen writes a realistic, seeded and deterministic pcap trace of IP flows
// for tests and benchmarks, and next to it a JSON file with the ground truth: how
// many flows, packets and IP bytes the trace holds, in total and per protocol.
//
//	pcapgen -o trace.pcap -packets 2000000 -flows 100000 -seed 1
//
// writes trace.pcap and trace.pcap.json.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/flowprobe/flowprobe/tools/pcapgen/gen"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pcapgen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("pcapgen", flag.ContinueOnError)
	out := fs.String("o", "", "pcap file to write (required)")
	truthPath := fs.String("truth", "", "ground truth JSON file (default: the pcap name + .json)")
	var cfg gen.Config
	fs.IntVar(&cfg.Packets, "packets", 2_000_000, "packets in the trace")
	fs.IntVar(&cfg.Flows, "flows", 100_000, "biflows in the trace")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed; the same flags always give the same trace")
	fs.Float64Var(&cfg.IPv6, "ipv6", 0.1, "fraction of flows over IPv6")
	fs.Float64Var(&cfg.Rate, "rate", 1_000_000, "packets per second that space the timestamps")
	fs.IntVar(&cfg.Concurrency, "concurrency", 0, "flows active at once (default flows/10)")
	fs.Float64Var(&cfg.ZipfExponent, "zipf", 1, "exponent of the Zipf law of flow sizes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("usage: pcapgen -o FILE [flags]")
	}
	if *truthPath == "" {
		*truthPath = *out + ".json"
	}

	start := time.Now()
	truth, err := gen.WriteFile(*out, cfg)
	if err != nil {
		return err
	}
	if err := truth.WriteFile(*truthPath); err != nil {
		return err
	}
	fmt.Printf("%s: %d packets, %d flows (%d tcp, %d udp, %d icmp; %d ipv6), "+
		"%d IP bytes, %d frame bytes, in %.1fs; ground truth in %s\n",
		*out, truth.Total.Packets, truth.Total.Flows, truth.TCP.Flows, truth.UDP.Flows,
		truth.ICMP.Flows, truth.IPv6.Flows, truth.Total.IPBytes, truth.FrameBytes,
		time.Since(start).Seconds(), *truthPath)
	return nil
}
