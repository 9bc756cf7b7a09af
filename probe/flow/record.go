package flow

// EndReason says why a flow left the cache. The values are those of IPFIX
// flowEndReason (IANA element 136), so exporters can send them unchanged.
type EndReason uint8

// The end reasons of RFC 5102 (flowEndReason).
const (
	EndIdle           EndReason = 1 // inactive timeout
	EndActive         EndReason = 2 // active timeout
	EndOfFlow         EndReason = 3 // TCP FIN or RST seen
	EndForced         EndReason = 4 // shutdown or end of a trace file
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

// Tunnel describes the outer header of a decapsulated flow.
type Tunnel struct {
	Type    TunnelType
	SrcAddr [16]byte // outer source, in the same 16-byte form as Key addresses
	DstAddr [16]byte
	ID      uint32 // VXLAN VNI or GRE key, 0 when absent
}

// Record is one biflow (or uniflow in split mode) as it leaves the cache. The forward
// direction is the one of the first packet seen; the *Rev fields count the other one.
//
// Bytes count IP bytes (the IP total length, headers included), not frame bytes.
// Times are Unix nanoseconds of packet time.
type Record struct {
	Key

	SrcMAC, DstMAC [6]byte

	Packets, PacketsRev   uint64
	Bytes, BytesRev       uint64
	TCPFlags, TCPFlagsRev uint8

	// ICMPTypeCode is type*256+code of the flow's first ICMP or ICMPv6 packet.
	ICMPTypeCode uint16

	TimeFirst, TimeLast int64

	EndReason EndReason
	Direction Direction
	IfIndex   uint32 // ifIndex of the capturing interface, 0 for trace files

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
