package pcapfile

import (
	"github.com/gopacket/gopacket/layers"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// Trace-file link types that carry raw IP but have their own number.
const (
	linkTypeIPv4 layers.LinkType = 228
	linkTypeIPv6 layers.LinkType = 229
)

// toCaptureLinkType maps a trace file's LINKTYPE_ value to the link type the packet
// parser understands. ok is false for every link type the parser cannot decode.
func toCaptureLinkType(lt layers.LinkType) (capture.LinkType, bool) {
	switch lt {
	case layers.LinkType(capture.LinkNull):
		return capture.LinkNull, true
	case layers.LinkType(capture.LinkEthernet):
		return capture.LinkEthernet, true
	case layers.LinkType(capture.LinkRaw), linkTypeIPv4, linkTypeIPv6:
		return capture.LinkRaw, true
	case layers.LinkType(capture.LinkSLL):
		return capture.LinkSLL, true
	case layers.LinkType(capture.LinkSLL2):
		return capture.LinkSLL2, true
	}
	return 0, false
}
