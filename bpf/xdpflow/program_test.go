package xdpflow

import (
	"os"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/flowprobe/flowprobe/probe/flow"
)

const (
	xdpDrop = 1
	xdpPass = 2
)

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("loading BPF programs needs root (CAP_BPF, CAP_PERFMON)")
	}
}

func loadForTest(t testing.TB, cfg Config) *Objects {
	t.Helper()
	requireRoot(t)
	o, err := Load(cfg)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// run feeds one frame to the program and returns its verdict.
func run(t testing.TB, o *Objects, frame []byte) uint32 {
	t.Helper()
	ret, err := o.Program.Run(&ebpf.RunOptions{Data: frame})
	if err != nil {
		t.Fatalf("run program on %d-byte frame: %v", len(frame), err)
	}
	return ret
}

// drain swaps the tables and returns their flows summed over CPUs.
func drain(t testing.TB, o *Objects) map[flow.Key]FlowCounters {
	t.Helper()
	tables, err := o.Swap()
	if err != nil {
		t.Fatalf("swap: %v", err)
	}
	flows := map[flow.Key]FlowCounters{}
	err = tables.Drain(func(k *flow.Key, c *FlowCounters) {
		sum := flows[*k]
		if sum.Packets == 0 {
			sum = *c
		} else {
			sum.Packets += c.Packets
			sum.Bytes += c.Bytes
			sum.TCPFlags |= c.TCPFlags
		}
		flows[*k] = sum
	})
	if err != nil {
		t.Fatalf("drain: %v", err)
	}
	return flows
}

var layouts = []Layout{PerCPUTables, PerCPUValues}

func TestProgramCountsFlows(t *testing.T) {
	const a4, b4 = "198.18.0.1", "198.18.0.2"
	const a6, b6 = "2001:db8::1", "2001:db8::2"
	cases := []struct {
		name      string
		frame     []byte
		key       flow.Key
		ipBytes   uint64
		tcpFlags  uint8
		icmpTC    uint16
		frameReps int
	}{
		{"ipv4 tcp syn", cat(ether(0x0800), ipv4(6, a4, b4, 0, 0, tcp(1000, 80, 0x02, 0))),
			key(a4, b4, 1000, 80, 6, 0), 40, 0x02, 0, 1},
		{"ipv4 tcp repeated", cat(ether(0x0800), ipv4(6, a4, b4, 0, 0, tcp(1001, 80, 0x18, 100))),
			key(a4, b4, 1001, 80, 6, 0), 3 * 140, 0x18, 0, 3},
		{"ipv4 udp vlan", cat(ether(0x0800, 100), ipv4(17, a4, b4, 0, 0, udp(53, 5353, 10))),
			key(a4, b4, 53, 5353, 17, 100), 38, 0, 0, 1},
		{"qinq keeps outer vlan", cat(ether(0x0800, 200, 100), ipv4(17, a4, b4, 0, 0,
			udp(53, 5353, 0))), key(a4, b4, 53, 5353, 17, 200), 28, 0, 0, 1},
		{"three tags", cat(ether(0x0800, 7, 8, 9), ipv4(17, a4, b4, 0, 0, udp(1, 2, 0))),
			key(a4, b4, 1, 2, 17, 7), 28, 0, 0, 1},
		{"ipv4 options", cat(ether(0x0800), ipv4(17, a4, b4, 2, 0, udp(7, 9, 4))),
			key(a4, b4, 7, 9, 17, 0), 40, 0, 0, 1},
		{"ipv4 first fragment", cat(ether(0x0800), ipv4(17, a4, b4, 0, 0x2000, udp(7, 8, 16))),
			key(a4, b4, 7, 8, 17, 0), 44, 0, 0, 1},
		{"ipv4 later fragment", cat(ether(0x0800), ipv4(17, a4, b4, 0, 3, udp(7, 8, 16))),
			key(a4, b4, 7, 8, 17, 0), 44, 0, 0, 1},
		{"ipv4 fragment of unknown datagram", cat(ether(0x0800), withID(ipv4(17, a4, b4, 0, 3,
			udp(7, 8, 16)), 99)), key(a4, b4, 0, 0, 17, 0), 44, 0, 0, 1},
		{"icmp echo", cat(ether(0x0800), ipv4(1, a4, b4, 0, 0, icmp(8, 0))),
			key(a4, b4, 0, 0, 1, 0), 28, 0, 0x0800, 1},
		{"sctp", cat(ether(0x0800), ipv4(132, a4, b4, 0, 0, udp(2905, 2906, 4))),
			key(a4, b4, 2905, 2906, 132, 0), 32, 0, 0, 1},
		{"gre has no ports", cat(ether(0x0800), ipv4(47, a4, b4, 0, 0, make([]byte, 4))),
			key(a4, b4, 0, 0, 47, 0), 24, 0, 0, 1},
		{"ipv6 tcp", cat(ether(0x86dd), ipv6(6, a6, b6, tcp(443, 5000, 0x11, 0))),
			key(a6, b6, 443, 5000, 6, 0), 60, 0x11, 0, 1},
		{"ipv6 ext headers", cat(ether(0x86dd), ipv6(0, a6, b6, extHeader(43,
			extHeader(60, extHeader(17, udp(9, 10, 0)))))), key(a6, b6, 9, 10, 17, 0), 72, 0, 0, 1},
		{"ipv6 first fragment", cat(ether(0x86dd), ipv6(44, a6, b6, fragHeader(17, 0, true,
			udp(11, 12, 8)))), key(a6, b6, 11, 12, 17, 0), 64, 0, 0, 1},
		{"ipv6 later fragment", cat(ether(0x86dd), ipv6(44, a6, b6, fragHeader(17, 16, false,
			udp(11, 12, 8)))), key(a6, b6, 11, 12, 17, 0), 64, 0, 0, 1},
		{"ipv6 fragment on another vlan", cat(ether(0x86dd, 3), ipv6(44, a6, b6,
			fragHeader(17, 16, false, udp(11, 12, 8)))), key(a6, b6, 0, 0, 17, 3), 64, 0, 0, 1},
		{"icmpv6 echo", cat(ether(0x86dd, 5), ipv6(58, a6, b6, icmp(128, 0))),
			key(a6, b6, 0, 0, 58, 5), 48, 0, 0x8000, 1},
	}
	for _, layout := range layouts {
		t.Run(layout.String(), func(t *testing.T) {
			o := loadForTest(t, Config{Layout: layout, TableEntries: 1024})
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					for range tc.frameReps {
						if v := run(t, o, tc.frame); v != xdpPass {
							t.Errorf("verdict %d, want XDP_PASS", v)
						}
					}
					flows := drain(t, o)
					if len(flows) != 1 {
						t.Fatalf("got %d flows, want 1: %+v", len(flows), flows)
					}
					c, ok := flows[tc.key]
					if !ok {
						t.Fatalf("flow key %+v missing; got %+v", tc.key, flows)
					}
					want := FlowCounters{Packets: uint64(tc.frameReps), Bytes: tc.ipBytes,
						TCPFlags: tc.tcpFlags, ICMPTypeCode: tc.icmpTC,
						SrcMAC: testSrcMAC, DstMAC: testDstMAC}
					got := c
					got.FirstNs, got.LastNs = 0, 0
					if got != want {
						t.Errorf("counters %+v, want %+v", got, want)
					}
					if c.FirstNs == 0 || c.LastNs < c.FirstNs {
						t.Errorf("times first %d last %d", c.FirstNs, c.LastNs)
					}
				})
			}
			cnt, err := o.Counters()
			if err != nil {
				t.Fatal(err)
			}
			if cnt.NotAccounted() != 0 {
				t.Errorf("well-formed frames were not accounted: %v", cnt)
			}
		})
	}
}
