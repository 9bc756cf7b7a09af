package xdpflow

import (
	"fmt"
	"testing"
	"time"

	"github.com/cilium/ebpf"
)

// weightedFrame is one frame of the benchmark mix and its share of the packets.
type weightedFrame struct {
	frame  []byte
	weight int
}

// benchMix approximates the traffic of design.md's reference trace: 70 % TCP, 24 %
// UDP, 6 % ICMP, 10 % IPv6, some of it VLAN-tagged, sizes from bare ACKs to full
// frames. Every frame repeats, so nearly every packet hits an existing flow.
func benchMix() []weightedFrame {
	const a, b = "198.18.10.1", "198.18.10.2"
	const a6, b6 = "2001:db8:10::1", "2001:db8:10::2"
	return []weightedFrame{
		{cat(ether(0x0800), ipv4(6, a, b, 0, 0, tcp(40000, 443, 0x10, 0))), 20},
		{cat(ether(0x0800), ipv4(6, b, a, 0, 0, tcp(443, 40000, 0x18, 1400))), 25},
		{cat(ether(0x0800, 100), ipv4(6, a, b, 0, 0, tcp(40001, 80, 0x18, 500))), 10},
		{cat(ether(0x0800), ipv4(6, a, b, 3, 0, tcp(40002, 22, 0x18, 100))), 8},
		{cat(ether(0x86dd), ipv6(6, a6, b6, tcp(40003, 443, 0x18, 1200))), 7},
		{cat(ether(0x0800), ipv4(17, a, b, 0, 0, udp(40004, 53, 40))), 10},
		{cat(ether(0x0800), ipv4(17, b, a, 0, 0, udp(443, 40005, 1200))), 11},
		{cat(ether(0x86dd), ipv6(17, a6, b6, udp(40006, 443, 1200))), 3},
		{cat(ether(0x0800), ipv4(1, a, b, 0, 0, icmp(8, 0))), 6},
	}
}

// runMix runs every frame of the mix weight*scale times through each program and
// returns the mean kernel time per packet of each. The programs take turns frame by
// frame, so that a busy machine disturbs both alike.
func runMix(b *testing.B, progs []*ebpf.Program, mix []weightedFrame, scale int) []float64 {
	total := make([]time.Duration, len(progs))
	packets := 0
	for _, wf := range mix {
		n := max(1, wf.weight*scale)
		for i, prog := range progs {
			_, per, err := prog.Benchmark(wf.frame, n, nil)
			if err != nil {
				b.Fatal(err)
			}
			total[i] += per * time.Duration(n)
		}
		packets += n
	}
	ns := make([]float64, len(progs))
	for i, t := range total {
		ns[i] = float64(t.Nanoseconds()) / float64(packets)
	}
	return ns
}

// prefill puts n other flows into the table of the CPU the benchmark runs on, so that
// lookups work on a populated table.
func prefill(b *testing.B, o *Objects, n int) {
	for i := range n {
		src := fmt.Sprintf("198.19.%d.%d", i>>8&0xff, i&0xff)
		run(b, o, cat(ether(0x0800), ipv4(6, src, "198.18.20.1", 0, 0,
			tcp(uint16(1024+i>>16), 80, 0x10, 0))))
	}
}

// BenchmarkXDP measures the flow program per packet under BPF_PROG_TEST_RUN on the
// mix above, for both table layouts and with the first 3 packets of each flow sent to
// an AF_XDP socket, next to the counting program on the same frames.
// It reports ns/pkt for each and their ratio; ns/op is meaningless here.
func BenchmarkXDP(b *testing.B) {
	requireRoot(b)
	mix := benchMix()

	var count countObjects
	if err := loadCountObjects(&count, nil); err != nil {
		b.Fatalf("load counting program: %v", err)
	}
	defer count.Close()

	cases := []struct {
		name string
		cfg  Config
	}{
		{PerCPUTables.String(), Config{Layout: PerCPUTables}},
		{PerCPUValues.String(), Config{Layout: PerCPUValues}},
		// The mix's flows have sent their first 3 packets before the timing starts:
		// the first timed packet of each looks its redirect count up and creates
		// its table entry, and the rest should cost what they cost without.
		{"hash-per-cpu,first-3", Config{Layout: PerCPUTables, RedirectFirst: 3}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			pinToCPU0(b)
			tc.cfg.TableEntries = 1 << 17
			o := loadForTest(b, tc.cfg)
			if tc.cfg.RedirectFirst != 0 {
				bindSocket(b, o.XSKMap)
				for _, wf := range mix {
					for range tc.cfg.RedirectFirst {
						run(b, o, wf.frame)
					}
				}
			}
			prefill(b, o, 100000)
			b.ResetTimer()
			ns := runMix(b, []*ebpf.Program{o.Program, count.CountXdp}, mix, b.N)
			flowNs, countNs := ns[0], ns[1]
			b.ReportMetric(flowNs, "flow-ns/pkt")
			b.ReportMetric(countNs, "count-ns/pkt")
			b.ReportMetric(flowNs/countNs, "ratio")
		})
	}
}
