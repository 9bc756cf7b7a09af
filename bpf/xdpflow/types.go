package xdpflow

import (
	"fmt"
	"unsafe"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// Key is a flow key as the program keeps it (struct flow_key in flow.h): flow.Key
// without its tunnel fields, since the program does not decapsulate tunnels.
type Key struct {
	SrcAddr   [16]byte
	DstAddr   [16]byte
	SrcPort   uint16
	DstPort   uint16
	VLAN      uint16
	Protocol  uint8
	IPVersion uint8
}

// KeyOf returns the program's key of a flow outside any tunnel; k's tunnel fields
// are dropped.
func KeyOf(k *flow.Key) Key {
	return Key{SrcAddr: k.SrcAddr, DstAddr: k.DstAddr, SrcPort: k.SrcPort,
		DstPort: k.DstPort, VLAN: k.VLAN, Protocol: k.Protocol, IPVersion: k.IPVersion}
}

// Flow returns k as a flow.Key outside any tunnel.
func (k *Key) Flow() flow.Key {
	return flow.Key{SrcAddr: k.SrcAddr, DstAddr: k.DstAddr, SrcPort: k.SrcPort,
		DstPort: k.DstPort, VLAN: k.VLAN, Protocol: k.Protocol, IPVersion: k.IPVersion}
}

// FlowCounters is one flow's counters on one CPU, as the program keeps them in its
// tables (struct flow_counters in flow.h). Times are bpf_ktime_get_ns readings: the
// CLOCK_MONOTONIC time in nanoseconds, not wall time.
type FlowCounters struct {
	Packets      uint64
	Bytes        uint64 // IP bytes: the IP total length of each packet, headers included
	FirstNs      uint64
	LastNs       uint64
	SrcMAC       [6]byte // MACs and ICMP type and code of the first packet on this CPU
	DstMAC       [6]byte
	ICMPTypeCode uint16
	TCPFlags     uint8
	_            uint8
}

// flowSlot is one slot of a CPU's cache of busy flows (struct flow_slot in flow.h).
type flowSlot struct {
	Key      Key
	Counters FlowCounters
}

// PacketEvent is one frame the program could not add to its table because the table
// was full, as it arrives through the ring buffer (struct packet_event in flow.h).
type PacketEvent struct {
	Key          Key
	TimeNs       uint64 // bpf_ktime_get_ns when the frame was seen
	IPBytes      uint32
	TCPFlags     uint8
	_            uint8
	ICMPTypeCode uint16
	SrcMAC       [6]byte
	DstMAC       [6]byte
	_            uint32
}

// Packet returns the event as a parsed packet whose Timestamp is still monotonic
// nanoseconds; the caller adds its wall-clock offset.
func (e *PacketEvent) Packet() flow.Packet {
	return flow.Packet{
		Key:          e.Key.Flow(),
		SrcMAC:       e.SrcMAC,
		DstMAC:       e.DstMAC,
		Timestamp:    int64(e.TimeNs),
		IPBytes:      e.IPBytes,
		TCPFlags:     e.TCPFlags,
		ICMPTypeCode: e.ICMPTypeCode,
	}
}

// Counter indexes the program's per-CPU counters array (enum counter in flow.h).
type Counter uint32

// The program's counters. CounterTableFull and CounterRingLost count frames that
// found their table full. The unparsed counters count frames that are no flow packet,
// with the reasons of the user-space parser (probe/packet.Reason). CounterL4Missing
// counts flow packets whose transport header was cut short: they are in the tables
// too, with ports 0. CounterRedirected counts frames handed to an AF_XDP socket
// (Config.RedirectFirst), which user space parses and counts; CounterNoSocket counts
// frames that were to go to a socket but found none on their RX queue, and so were
// counted in the tables (or unparsed counters) like any other.
const (
	CounterTableFull   Counter = iota // sent to the ring buffer because the table was full
	CounterRingLost                   // lost: table full and ring buffer full
	CounterNotIP                      // unparsed: no IP packet (ARP, LLC, PPP control)
	CounterTruncated                  // unparsed: frame ends before the IP header does
	CounterBadHeader                  // unparsed: bad IP version or IPv4 lengths, bad PPPoE
	CounterUnsupported                // unparsed: too many VLAN tags or MPLS labels, pseudowire
	CounterL4Missing                  // accounted, but the transport header was missing
	CounterRedirected                 // handed to an AF_XDP socket, for user space to count
	CounterNoSocket                   // meant for a socket, but none on its queue: counted
	NumCounters
)

var counterNames = [NumCounters]string{
	"table_full", "ring_lost", "not_ip", "truncated", "bad_header", "unsupported",
	"l4_missing", "redirected", "no_socket",
}

// String returns the counter's metric-friendly name.
func (c Counter) String() string {
	if c < NumCounters {
		return counterNames[c]
	}
	return "unknown"
}

// Counters holds the program's counters summed over all CPUs, indexed by Counter.
type Counters [NumCounters]uint64

// NotAccounted returns how many frames did not reach a flow table: those sent to an
// AF_XDP socket, those sent to the ring buffer, those lost, and those not parsed.
// Frames seen by the program equal this plus the packets counted in the tables.
func (c *Counters) NotAccounted() uint64 {
	return c[CounterRedirected] + c[CounterTableFull] + c[CounterRingLost] + c.Unparsed()
}

// Unparsed returns how many frames were no flow packet, for any reason.
func (c *Counters) Unparsed() uint64 {
	return c[CounterNotIP] + c[CounterTruncated] + c[CounterBadHeader] +
		c[CounterUnsupported]
}

// packetEventSize is the size of struct packet_event.
const packetEventSize = 72

var _ [packetEventSize]byte = [unsafe.Sizeof(PacketEvent{})]byte{}

// DecodePacketEvent decodes one ring buffer record. It fails when the record has not
// the size of a PacketEvent, which means the program and this package disagree.
func DecodePacketEvent(b []byte) (PacketEvent, error) {
	var ev PacketEvent
	if len(b) != packetEventSize {
		return ev, fmt.Errorf("decode packet event: %d bytes, want %d", len(b), packetEventSize)
	}
	copy((*[packetEventSize]byte)(unsafe.Pointer(&ev))[:], b)
	return ev, nil
}
