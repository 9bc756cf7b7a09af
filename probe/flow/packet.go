package flow

// Packet is what the packet parser extracts from one frame and what the flow cache
// consumes. It holds no reference to the frame, so a capture buffer can be reused as
// soon as the parser returns.
type Packet struct {
	Key

	SrcMAC, DstMAC [6]byte

	// Timestamp is the packet time in Unix nanoseconds.
	Timestamp int64
	// IPBytes is the IP total length (IPv4 total length, or 40 + IPv6 payload length),
	// headers included, as the packet claims it, even when the capture is truncated.
	IPBytes uint32
	// TCPFlags holds the flags byte of a TCP header, 0 for other protocols.
	TCPFlags uint8
	// ICMPTypeCode is type*256+code for ICMP and ICMPv6, 0 otherwise.
	ICMPTypeCode uint16

	IfIndex   uint32
	Direction Direction
	Tunnel    Tunnel
}

// TCP flag bits as they appear in Packet.TCPFlags and Record.TCPFlags.
const (
	TCPFin uint8 = 0x01
	TCPSyn uint8 = 0x02
	TCPRst uint8 = 0x04
	TCPPsh uint8 = 0x08
	TCPAck uint8 = 0x10
	TCPUrg uint8 = 0x20
	TCPEce uint8 = 0x40
	TCPCwr uint8 = 0x80
)
