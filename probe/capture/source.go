package capture

import "context"

// LinkType is the link-layer header type of a frame, numbered as the pcap LINKTYPE_
// values so that trace files need no translation.
type LinkType uint16

// Link types the packet parser understands.
const (
	LinkNull     LinkType = 0   // BSD loopback: 4-byte host-order address family
	LinkEthernet LinkType = 1   // Ethernet II, with 802.1Q/802.1ad tags, MPLS, PPPoE
	LinkRaw      LinkType = 101 // raw IPv4 or IPv6, no link header
	LinkSLL      LinkType = 113 // Linux cooked capture v1
	LinkSLL2     LinkType = 276 // Linux cooked capture v2
)

// Frame is one captured frame. Data is only valid during the HandleFrame call that
// receives it.
type Frame struct {
	Data      []byte
	Timestamp int64 // Unix nanoseconds
	WireLen   int   // length on the wire; larger than len(Data) when truncated
	IfIndex   uint32
	LinkType  LinkType
}

// Handler consumes the frames of one worker. A Source never calls a given Handler
// concurrently: one call at a time, usually from one goroutine, so the handler needs no
// locking of its own.
type Handler interface {
	// HandleFrame processes one frame; it must not keep f or f.Data after returning.
	HandleFrame(f *Frame)
	// Tick tells the handler the current time (Unix nanoseconds): packet time for
	// trace files, wall-clock time for live sources, or the time of the last frame
	// handed over while a live source is behind. It may go back, as packet time
	// does. Live sources call it at least once a second even when no frame arrives,
	// so idle flows expire on time.
	Tick(now int64)
}

// Source captures frames and hands them to per-worker handlers.
type Source interface {
	// Workers reports how many handlers Run needs: one per capture goroutine.
	Workers() int
	// Run captures until ctx is cancelled or the input ends, calling handlers[w] only
	// for worker w and never concurrently. It returns nil at the end of a trace file and when
	// ctx is cancelled; any other stop is an error.
	Run(ctx context.Context, handlers []Handler) error
	// Close releases the source; it is safe to call after Run returned.
	Close() error
}
