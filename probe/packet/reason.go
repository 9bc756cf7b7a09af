package packet

// Reason says what the parser made of a frame: OK when the frame became a flow
// packet, otherwise why it did not.
type Reason uint8

// Reasons a frame can have. Every frame handed to Parse gets exactly one of them.
const (
	// OK means the frame was turned into a flow packet.
	OK Reason = iota
	// NotIP means the frame carries no IP packet: ARP, STP and other LLC frames,
	// PPP control traffic, IS-IS, Ethernet loopback.
	NotIP
	// Truncated means the capture ended before the IP header was complete, or
	// inside a link-layer header in front of it.
	Truncated
	// BadHeader means a header is malformed: an IP version that does not match its
	// link-layer type, an IPv4 header length under 20 bytes, or an IPv4 total
	// length smaller than its header.
	BadHeader
	// Unsupported means the frame is well formed but uses an encapsulation the
	// parser does not read: an unknown link type, more VLAN tags or MPLS labels than
	// the parser walks, an MPLS payload that is neither IP nor Ethernet.
	Unsupported

	// NumReasons is the number of reasons; Stats.Reasons is indexed by Reason.
	NumReasons
)

var reasonNames = [NumReasons]string{
	OK:          "ok",
	NotIP:       "not-ip",
	Truncated:   "truncated",
	BadHeader:   "bad-header",
	Unsupported: "unsupported",
}

// String returns the short name used in logs and metric labels, such as "not-ip".
func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return "unknown"
}
