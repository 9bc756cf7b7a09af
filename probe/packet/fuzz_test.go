package packet

import (
	"testing"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// seedFramesPerTrace bounds how many frames of each trace seed the fuzzer, so
// that the seed corpus stays quick to run as a plain test.
const seedFramesPerTrace = 40

// FuzzParse feeds arbitrary bytes to the parser under every link type, with and
// without decapsulation. The parser must not panic, must count each frame once,
// must give the same answer twice, and must only return well-formed flow packets.
func FuzzParse(f *testing.F) {
	for _, name := range traceFiles(f) {
		frames := readTrace(f, name)
		for i := range frames[:min(len(frames), seedFramesPerTrace)] {
			f.Add(uint16(frames[i].LinkType), i%2 == 0, frames[i].Data)
		}
	}
	for _, tc := range append(craftedCases, tunnelCases...) {
		link := tc.link
		if link == 0 && !tc.null {
			link = capture.LinkEthernet
		}
		data := serialize(f, tc.layers...)
		if tc.mutate != nil {
			data = tc.mutate(data)
		}
		f.Add(uint16(link), tc.opts.Decapsulate, data)
	}

	links := []capture.LinkType{capture.LinkEthernet, capture.LinkRaw, capture.LinkNull,
		capture.LinkSLL, capture.LinkSLL2}
	f.Fuzz(func(t *testing.T, link uint16, decapsulate bool, data []byte) {
		// Most of the input space is better spent on the link types the parser
		// knows; a few unknown values check the unsupported path.
		lt := capture.LinkType(link)
		if link < 0xff00 {
			lt = links[int(link)%len(links)]
		}
		frame := capture.Frame{Data: data, LinkType: lt, Timestamp: 1}
		var first, second flow.Packet
		// A small fragment table keeps each run cheap; its size does not change
		// what one frame parses to.
		opts := Options{Decapsulate: decapsulate, FragmentSlots: fragWays}
		p := NewParser(opts)
		r := p.Parse(&frame, &first)
		r2 := NewParser(opts).Parse(&frame, &second)
		if r != r2 || (r == OK && first != second) {
			t.Fatalf("two parses differ: %v %+v, then %v %+v", r, first, r2, second)
		}
		st := p.Stats()
		if st.Frames != 1 || st.Reasons[r] != 1 || r >= NumReasons {
			t.Fatalf("reason %v, stats %+v", r, st)
		}
		if r != OK {
			return
		}
		checkFlowPacket(t, &first, decapsulate)
	})
}

// checkFlowPacket asserts what holds for every flow packet the parser returns.
func checkFlowPacket(t *testing.T, pkt *flow.Packet, decapsulate bool) {
	t.Helper()
	switch pkt.IPVersion {
	case 4:
		if pkt.IPBytes < ipv4MinHeaderLen {
			t.Fatalf("IPv4 packet of %d bytes", pkt.IPBytes)
		}
	case 6:
		if pkt.IPBytes < ipv6HeaderLen {
			t.Fatalf("IPv6 packet of %d bytes", pkt.IPBytes)
		}
	default:
		t.Fatalf("IP version %d", pkt.IPVersion)
	}
	if pkt.ICMPTypeCode != 0 && pkt.Protocol != protoICMP && pkt.Protocol != protoICMPv6 {
		t.Fatalf("ICMP type %#x on protocol %d", pkt.ICMPTypeCode, pkt.Protocol)
	}
	if (pkt.Protocol == protoICMP || pkt.Protocol == protoICMPv6) &&
		(pkt.SrcPort != 0 || pkt.DstPort != 0) {
		t.Fatalf("ICMP with ports %d > %d", pkt.SrcPort, pkt.DstPort)
	}
	if pkt.TCPFlags != 0 && pkt.Protocol != protoTCP {
		t.Fatalf("TCP flags on protocol %d", pkt.Protocol)
	}
	if pkt.VLAN > 0x0fff {
		t.Fatalf("VLAN %d", pkt.VLAN)
	}
	if pkt.TunnelType != flow.TunnelNone && !decapsulate {
		t.Fatalf("tunnel %+v without decapsulation", pkt.Tunnel)
	}
}
