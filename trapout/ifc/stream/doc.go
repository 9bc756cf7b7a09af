// Package stream implements libtrap's socket interfaces (TCP, UNIX and TLS): the
// output side is a server that sends a format hello to every client and then the
// same sequence of containers to all of them, with libtrap's buffering, autoflush,
// ring of containers and timeouts; the input side is a client that connects, checks
// the hello against the format it requires and splits containers into messages.
package stream

import "errors"

// ErrTimeout is returned when a non-WAIT timeout expires before data arrived.
var ErrTimeout = errors.New("timeout")

// ErrClosed is returned by operations on a closed interface.
var ErrClosed = errors.New("interface closed")

// Stats counts what an output did.
type Stats struct {
	Sent    uint64 // messages accepted by Send
	Skipped uint64 // containers that slow clients skipped (NO_WAIT)
	// SkippedRecords counts the messages in the skipped containers, once per client
	// that missed them, and what clients still lacked when a Close or format change
	// that does not wait disconnected them. Messages finished while no client was
	// connected reach nobody and are not counted: a TRAP output publishes to whoever
	// listens. A container counts as delivered once it is written to the client's
	// socket; one whose write was under way when the client was disconnected counts
	// as skipped, even if the write got through at that moment.
	SkippedRecords uint64
	Clients        int // clients connected now
	// Containers counts the containers finished and put in the ring, whether or not
	// a client was there to take them.
	Containers uint64
	// Flushes counts the calls of Flush and the autoflush timer that finished a
	// partly filled container.
	Flushes uint64
}

// PeerStats counts what a socket output sent to one connected client.
type PeerStats struct {
	// ID identifies the client as libtrap does: the process ID of a UNIX socket peer,
	// the remote port of a TCP or TLS peer.
	ID             uint32
	Containers     uint64 // containers written to the client
	Messages       uint64 // messages in those containers
	SkippedRecords uint64 // messages the client skipped because it fell behind
}
