package flow

// EndReason says why a flow left the cache. The values are those of IPFIX
// flowEndReason (IANA element 136), so exporters can send them unchanged.
type EndReason uint8

// The end reasons of RFC 5102 (flowEndReason).
const (
	EndIdle           EndReason = 1 // inactive timeout
	EndActive         EndReason = 2 // active timeout
	EndOfFlow         EndReason = 3 // TCP FIN or RST seen
	EndForced         EndReason = 4 // shutdown, end of a trace file or a clock set back
	EndLackOfResource EndReason = 5 // evicted from a full cache
)

// String returns the short name used in text outputs and metrics labels.
func (r EndReason) String() string {
	switch r {
	case EndIdle:
		return "idle"
	case EndActive:
		return "active"
	case EndOfFlow:
		return "end"
	case EndForced:
		return "forced"
	case EndLackOfResource:
		return "resources"
	}
	return "unknown"
}

// Direction is the IPFIX flowDirection (IANA element 61) of the interface that saw
// the flow's first packet.
type Direction uint8

// Flow directions as IPFIX encodes them.
const (
	Ingress Direction = 0
	Egress  Direction = 1
)

// TunnelType names the encapsulation a flow was found inside when the parser
// decapsulates tunnels; TunnelNone for plain traffic.
type TunnelType uint8

// Tunnel types the parser can decapsulate.
const (
	TunnelNone TunnelType = iota
	TunnelGRE
	TunnelVXLAN
)

// Tunnel holds the outer addresses of a decapsulated flow's tunnel; the tunnel's
// type and ID are part of the Key. Both are zero outside a tunnel.
type Tunnel struct {
	SrcAddr [16]byte // outer source, in the same 16-byte form as Key addresses
	DstAddr [16]byte
}

// Record is one biflow (or uniflow in split mode) as it leaves the cache. The forward
// direction is the one of the first packet seen; the *Rev fields count the other one.
//
// Bytes count IP bytes (the IP total length, headers included), not frame bytes.
// Times are Unix nanoseconds of packet time.
//
// The fields every packet touches come first, so that the flow cache reads a record's
// key and counters in its first two cache lines.
type Record struct {
	Key

	Packets, PacketsRev   uint64
	Bytes, BytesRev       uint64
	TCPFlags, TCPFlagsRev uint8

	// ICMPTypeCode is type*256+code of the flow's first ICMP or ICMPv6 packet.
	ICMPTypeCode uint16

	TimeFirst, TimeLast int64

	EndReason EndReason
	Direction Direction
	IfIndex   uint32 // ifIndex of the capturing interface, 0 for trace files

	SrcMAC, DstMAC [6]byte

	Tunnel Tunnel
}

// Exporter receives finished flows. The flow engine calls it from one goroutine at a
// time, so an implementation needs no locking of its own.
//
// Export must not keep a reference to the slice or its records after it returns.
// An error means records were not delivered; the engine counts it and goes on.
type Exporter interface {
	Export(records []Record) error
	// Flush pushes out anything the exporter buffers.
	Flush() error
	// Close flushes and releases the exporter; it is called once at shutdown.
	Close() error
}
