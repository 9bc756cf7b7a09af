package packet

import (
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// benchTraces are the mixes the benchmarks parse: real LAN traffic, a fragment
// spray, an IPv6 extension-header flood and GRE tunnels decapsulated.
var benchTraces = []struct {
	name string
	file string
	opts Options
}{
	{"cip", "gopacket-cip.pcap", Options{}},
	{"defrag-spray", "suricata-defrag-spray-h8.pcap", Options{}},
	{"ipv6-exthdr", "suricata-ipv6-exthdr-denial6-5.pcap", Options{}},
	{"gre-decap", "zeek-gre-sample.pcap", Options{Decapsulate: true}},
}

// contiguous copies the frames' bytes into one buffer, back to back, as a capture
// ring or a trace file's read buffer holds them; frames spread over the heap would
// make the benchmark measure cache misses rather than parsing.
func contiguous(frames []capture.Frame) []capture.Frame {
	n := 0
	for _, f := range frames {
		n += len(f.Data)
	}
	buf := make([]byte, 0, n)
	out := make([]capture.Frame, len(frames))
	for i, f := range frames {
		out[i] = f
		out[i].Data = buf[len(buf) : len(buf)+len(f.Data)]
		buf = append(buf, f.Data...)
	}
	return out
}

// BenchmarkParse measures one Parse call per iteration, cycling over a trace's
// frames; ns/op is the cost per packet and allocs/op must stay 0.
func BenchmarkParse(b *testing.B) {
	for _, bt := range benchTraces {
		b.Run(bt.name, func(b *testing.B) {
			frames := contiguous(readTrace(b, bt.file))
			p := NewParser(bt.opts)
			var pkt flow.Packet
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p.Parse(&frames[i], &pkt)
				if i++; i == len(frames) {
					i = 0
				}
			}
		})
	}
}

// BenchmarkVersusGopacket parses the cip frames with this parser and decodes them
// with gopacket's DecodingLayerParser (Ethernet, one VLAN tag, IPv4, IPv6, TCP, UDP,
// ICMP), the fastest decoder gopacket offers, alternating in batches so that both
// see the same machine load. It reports ns per packet for each and their ratio.
func BenchmarkVersusGopacket(b *testing.B) {
	frames := contiguous(readTrace(b, "gopacket-cip.pcap"))
	var (
		eth     layers.Ethernet
		dot1q   layers.Dot1Q
		ip4     layers.IPv4
		ip6     layers.IPv6
		tcp     layers.TCP
		udp     layers.UDP
		icmp    layers.ICMPv4
		payload gopacket.Payload
	)
	dlp := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet,
		&eth, &dot1q, &ip4, &ip6, &tcp, &udp, &icmp, &payload)
	dlp.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	p := NewParser(Options{})
	var pkt flow.Packet

	const batch = 256
	var ours, theirs time.Duration
	packets := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i = (i + batch) % (len(frames) - batch) {
		window := frames[i : i+batch]
		start := time.Now()
		for j := range window {
			p.Parse(&window[j], &pkt)
		}
		mid := time.Now()
		for j := range window {
			_ = dlp.DecodeLayers(window[j].Data, &decoded)
		}
		theirs += time.Since(mid)
		ours += mid.Sub(start)
		packets += batch
	}
	b.ReportMetric(float64(ours.Nanoseconds())/float64(packets), "flowprobe-ns/pkt")
	b.ReportMetric(float64(theirs.Nanoseconds())/float64(packets), "gopacket-ns/pkt")
	b.ReportMetric(float64(theirs)/float64(ours), "speedup")
}

// TestParseAllocatesNothing parses whole traces, tunnels and fragments included,
// and requires zero allocations.
func TestParseAllocatesNothing(t *testing.T) {
	for _, bt := range benchTraces {
		frames := readTrace(t, bt.file)
		p := NewParser(bt.opts)
		var pkt flow.Packet
		allocs := testing.AllocsPerRun(3, func() {
			for i := range frames {
				p.Parse(&frames[i], &pkt)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per pass over %d frames", bt.name, allocs, len(frames))
		}
	}
	var pkt flow.Packet
	f := capture.Frame{Data: []byte{1}, LinkType: 999}
	p := NewParser(Options{})
	if a := testing.AllocsPerRun(10, func() { p.Parse(&f, &pkt) }); a != 0 {
		t.Errorf("unsupported link type: %v allocations", a)
	}
}
