package packet_test

import (
	"fmt"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/packet"
)

// A capture worker owns one Parser and one flow.Packet and reuses both for
// every frame; frames that are no flow packet are only counted.
func Example() {
	p := packet.NewParser(packet.Options{})
	frames := []capture.Frame{
		{LinkType: capture.LinkRaw, Data: []byte{ // IPv4 UDP 198.18.0.1:53 > 198.18.0.2:5353
			0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2,
			0, 53, 0x14, 0xe9, 0, 8, 0, 0}},
		{LinkType: capture.LinkEthernet, Data: make([]byte, 10)},
	}
	var pkt flow.Packet
	for i := range frames {
		if r := p.Parse(&frames[i], &pkt); r != packet.OK {
			fmt.Println("skipped:", r)
			continue
		}
		fmt.Printf("%v:%d > %v:%d proto %d, %d bytes\n", pkt.SrcIP(), pkt.SrcPort,
			pkt.DstIP(), pkt.DstPort, pkt.Protocol, pkt.IPBytes)
	}
	st := p.Stats()
	fmt.Println("frames", st.Frames, "ok", st.Reasons[packet.OK],
		"truncated", st.Reasons[packet.Truncated])
	// Output:
	// 198.18.0.1:53 > 198.18.0.2:5353 proto 17, 28 bytes
	// skipped: truncated
	// frames 2 ok 1 truncated 1
}
