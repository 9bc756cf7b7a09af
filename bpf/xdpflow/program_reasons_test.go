package xdpflow

import (
	"testing"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// TestProgramReasons feeds link-layer variants and malformed frames to the program
// and checks which flow each one lands in, or which counter takes it.
func TestProgramReasons(t *testing.T) {
	const a, b = "198.18.1.1", "198.18.1.2"
	udp4 := ipv4(17, a, b, 0, 0, udp(5, 6, 0))
	cutIHL := ipv4(17, a, b, 0, 0, udp(5, 6, 0))
	cutIHL[0] = 0x44
	shortTotal := ipv4(17, a, b, 0, 0, udp(5, 6, 0))
	shortTotal[3] = 19
	v5 := ipv4(17, a, b, 0, 0, udp(5, 6, 0))
	v5[0] = 0x55
	// The UDP header lies in the frame but beyond the IP total length (padding).
	padded := ipv4(17, a, b, 0, 0, udp(5, 6, 0))
	padded[3] = 24
	tooManyExt := ipv6(0, "2001:db8::a", "2001:db8::b", nil)
	var ext []byte
	for range 9 {
		ext = extHeader(60, ext)
	}
	tooManyExt = ipv6(0, "2001:db8::a", "2001:db8::b", append(ext, udp(1, 2, 0)...))
	arp := make([]byte, 28)
	withPorts := key(a, b, 5, 6, 17, 0)
	noPorts := key(a, b, 0, 0, 17, 0)

	cases := []struct {
		name    string
		frame   []byte
		counter Counter // counter expected to rise; NumCounters for none
		key     *flow.Key
	}{
		{"mpls", cat(ether(0x8847), mpls(3), udp4), NumCounters, &withPorts},
		{"mpls 8 labels", cat(ether(0x8847), mpls(8), udp4), NumCounters, &withPorts},
		{"mpls 9 labels", cat(ether(0x8847), mpls(9), udp4), CounterUnsupported, nil},
		{"mpls pseudowire", cat(ether(0x8847, 9), mpls(1), make([]byte, 4),
			ether(0x0800, 10), udp4), NumCounters, ptr(key(a, b, 5, 6, 17, 9))},
		{"pseudowire in pseudowire", cat(ether(0x8847), mpls(1), make([]byte, 4),
			ether(0x8847), mpls(2), make([]byte, 4), ether(0x0800, 10), udp4),
			NumCounters, ptr(key(a, b, 5, 6, 17, 10))},
		{"4 ethernet headers", cat(ether(0x8847), mpls(1), make([]byte, 4),
			ether(0x8847), mpls(1), make([]byte, 4), ether(0x8847), mpls(1),
			make([]byte, 4), ether(0x0800), udp4), CounterUnsupported, nil},
		{"mpls nibble 5", cat(ether(0x8847), mpls(1), []byte{0x50, 0, 0, 0}),
			CounterUnsupported, nil},
		{"pppoe ipv4", cat(ether(0x8864), pppoe(0x21, len(udp4)), udp4), NumCounters, &withPorts},
		{"pppoe lcp", cat(ether(0x8864), pppoe(0xc021, 4), make([]byte, 4)), CounterNotIP, nil},
		{"pppoe discovery code", cat(ether(0x8864), []byte{0x11, 9, 0, 1, 0, 2, 0, 0x21}, udp4),
			CounterBadHeader, nil},
		{"4 vlan tags", cat(ether(0x0800, 1, 2, 3, 4), udp4), NumCounters,
			ptr(key(a, b, 5, 6, 17, 1))},
		{"5 vlan tags", cat(ether(0x0800, 1, 2, 3, 4, 5), udp4), CounterUnsupported, nil},
		{"arp", cat(ether(0x0806), arp), CounterNotIP, nil},
		{"llc", cat(ether(0x0026), arp), CounterNotIP, nil},
		{"vlan cut", cat(ether(0x0800, 1)[:16]), CounterTruncated, nil},
		{"ipv4 cut", cat(ether(0x0800), udp4[:19]), CounterTruncated, nil},
		{"ipv4 options cut", cat(ether(0x0800), ipv4(17, a, b, 3, 0, nil)[:24]),
			CounterTruncated, nil},
		{"ipv4 ihl under 5", cat(ether(0x0800), cutIHL), CounterBadHeader, nil},
		{"ipv4 total under ihl", cat(ether(0x0800), shortTotal), CounterBadHeader, nil},
		{"ip version 5", cat(ether(0x0800), v5), CounterBadHeader, nil},
		{"ipv6 cut", cat(ether(0x86dd), ipv6(17, "2001:db8::a", "2001:db8::b", nil)[:39]),
			CounterTruncated, nil},
		{"udp cut", cat(ether(0x0800), ipv4(17, a, b, 0, 0, udp(5, 6, 0)[:7])),
			CounterL4Missing, &noPorts},
		{"udp beyond ip length", cat(ether(0x0800), padded), CounterL4Missing, &noPorts},
		{"tcp cut", cat(ether(0x0800), ipv4(6, a, b, 0, 0, tcp(5, 6, 0x02, 0)[:19])),
			CounterL4Missing, ptr(key(a, b, 0, 0, 6, 0))},
		{"ipv6 9 ext headers", cat(ether(0x86dd), tooManyExt), CounterL4Missing,
			ptr(key("2001:db8::a", "2001:db8::b", 0, 0, 60, 0))},
		{"ipv6 ext header cut", cat(ether(0x86dd), ipv6(0, "2001:db8::a", "2001:db8::b",
			[]byte{17, 0, 1, 4})), CounterL4Missing,
			ptr(key("2001:db8::a", "2001:db8::b", 0, 0, 0, 0))},
	}
	for _, layout := range layouts {
		t.Run(layout.String(), func(t *testing.T) {
			o := loadForTest(t, Config{Layout: layout, TableEntries: 1024})
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					before, err := o.Counters()
					if err != nil {
						t.Fatal(err)
					}
					if v := run(t, o, tc.frame); v != xdpPass {
						t.Errorf("verdict %d, want XDP_PASS", v)
					}
					after, err := o.Counters()
					if err != nil {
						t.Fatal(err)
					}
					for c := range NumCounters {
						want := before[c]
						if c == tc.counter {
							want++
						}
						if after[c] != want {
							t.Errorf("counter %s = %d, want %d", c, after[c], want)
						}
					}
					flows := drain(t, o)
					if tc.key == nil {
						if len(flows) != 0 {
							t.Errorf("unparsed frame made flows %+v", flows)
						}
						return
					}
					if c, ok := flows[*tc.key]; !ok || len(flows) != 1 || c.Packets != 1 {
						t.Errorf("flows %+v, want one packet in %+v", flows, *tc.key)
					}
				})
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
