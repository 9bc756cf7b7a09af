package ipfix

import "sync/atomic"

// Stats counts what an Exporter did since New. Records are counted when handed to
// the kernel, which on TCP is not yet proof that the collector read them. On UDP a
// datagram written, and so counted sent, may later be refused by the collector's
// host; its records are then counted dropped as well, so that the counters never go
// down.
type Stats struct {
	RecordsSent    uint64 // data records written to the socket
	MessagesSent   uint64 // data messages written to the socket
	TemplatesSent  uint64 // template messages written to the socket
	RecordsDropped uint64 // given up: TCP buffer full or left at Close, UDP write failed or refused
	Refused        uint64 // UDP writes that reported ICMP port unreachable (ECONNREFUSED)
	WriteErrors    uint64 // failed writes of any other kind
	Connects       uint64 // TCP connections made
	Disconnects    uint64 // TCP connections lost or closed
	Buffered       uint64 // records waiting for a TCP connection now
	Connected      bool   // a TCP connection is up; false on UDP
}

// counters is the live form of Stats, readable from any goroutine.
type counters struct {
	recordsSent, messagesSent, templatesSent, recordsDropped atomic.Uint64
	refused, writeErrors, connects, disconnects, buffered    atomic.Uint64
	connected                                                atomic.Bool
}

func (c *counters) snapshot() Stats {
	return Stats{
		RecordsSent:    c.recordsSent.Load(),
		MessagesSent:   c.messagesSent.Load(),
		TemplatesSent:  c.templatesSent.Load(),
		RecordsDropped: c.recordsDropped.Load(),
		Refused:        c.refused.Load(),
		WriteErrors:    c.writeErrors.Load(),
		Connects:       c.connects.Load(),
		Disconnects:    c.disconnects.Load(),
		Buffered:       c.buffered.Load(),
		Connected:      c.connected.Load(),
	}
}
