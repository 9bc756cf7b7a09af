package trapout

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

// receiver is what every input interface type implements. Recv reports a negotiated
// format change with changed=true and no message.
type receiver interface {
	SetRequired(f wire.Format)
	SetTimeout(t ifc.Timeout)
	Recv() (msg []byte, changed bool, err error)
	Format() wire.Format
	Close() error
	// Buffers counts the containers read so far; any goroutine may call it.
	Buffers() uint64
	// Pending tells whether the next Recv is served from the container at hand.
	Pending() bool
}

// Input is one input interface. It is not safe for concurrent use.
type Input struct {
	spec ifc.Spec
	impl receiver

	// Statistics for the service interface. lastExit and calls are touched only by
	// the receiving goroutine; the rest may be read by any.
	lastExit   time.Duration // monotonic time the last reading Recv returned, 0 before
	calls      uint64        // Recv calls since then
	messages   atomic.Uint64 // messages returned, the end-of-data marker included
	delayLast  atomic.Uint64 // ns outside Recv per call, over the last container
	delayTotal atomic.Uint64 // ns spent outside Recv
}

// clockBase anchors monotonic, which reads the runtime's monotonic clock without
// building a wall-clock time.
var clockBase = time.Now()

func monotonic() time.Duration { return time.Since(clockBase) }

// SetRequired sets the UniRec template the module needs: the sender's template must
// contain each of its `type NAME` fields. An empty template (the default) accepts any
// UniRec data; Recv then reports the sender's template as a format change.
func (in *Input) SetRequired(template string) {
	in.impl.SetRequired(wire.Format{Type: UniRec, Spec: template})
}

// SetRequiredFormat sets the required data type and specifier.
func (in *Input) SetRequiredFormat(t DataType, spec string) {
	in.impl.SetRequired(wire.Format{Type: t, Spec: spec})
}

// SetTimeout sets how long Recv waits, unless the `-i` argument fixed it.
func (in *Input) SetTimeout(t Timeout) {
	if !in.spec.TimeoutFixed {
		in.impl.SetTimeout(t)
	}
}

// Recv returns the next message. The slice is valid until the next Recv.
//
// It returns io.EOF for the end-of-data marker (a message of 0 or 1 byte); the input
// stays usable. When the sender's format differs from what the input knew (the first
// negotiation with an empty or smaller required template, or a sender that changed
// its template), it returns a *FormatChangedError and no message; the next call
// returns the first message of the new format. ErrTimeout means nothing came within
// the input's timeout; an error wrapping ErrFormatMismatch means the sender lacks
// required fields. Socket inputs connect on the first Recv and reconnect when the
// connection drops.
func (in *Input) Recv() ([]byte, error) {
	// The clock is read only around calls that read a container or wait, twice per
	// container: a call served from the container at hand takes some ten
	// nanoseconds, a clock read some thirty. The time between two reading calls was
	// spent outside Recv but for the short calls in between, so it gives the total
	// closely, and divided by the calls the last delay.
	if in.impl.Pending() {
		in.calls++
		msg, changed, err := in.impl.Recv()
		return in.result(msg, changed, err)
	}
	entry := monotonic()
	if in.lastExit != 0 {
		d := uint64(entry - in.lastExit)
		in.delayTotal.Add(d)
		in.delayLast.Store(d / (in.calls + 1))
	}
	msg, changed, err := in.impl.Recv()
	in.lastExit, in.calls = monotonic(), 0
	return in.result(msg, changed, err)
}

// result turns what the interface returned into what Recv returns.
func (in *Input) result(msg []byte, changed bool, err error) ([]byte, error) {
	if err == nil && !changed {
		in.messages.Add(1)
	}
	switch {
	case err == io.EOF || err == ErrTimeout:
		return nil, err // common in polling loops: returned bare, without allocating
	case err != nil:
		return nil, fmt.Errorf("input %d: %w", in.spec.Index, err)
	case changed:
		f := in.impl.Format()
		return nil, &FormatChangedError{Type: f.Type, Template: f.Spec}
	case len(msg) <= 1:
		return nil, io.EOF
	}
	return msg, nil
}

// Format returns the data type and template string of the data being received, once
// negotiated.
func (in *Input) Format() (DataType, string) {
	f := in.impl.Format()
	return f.Type, f.Spec
}

// Spec returns the parsed interface specifier of the input.
func (in *Input) Spec() ifc.Spec { return in.spec }

// Missed returns how many messages the sender's container sequence numbers say this
// input never received, for example because a NO_WAIT output skipped it ahead. It is
// 0 for files.
func (in *Input) Missed() uint64 {
	if m, ok := in.impl.(interface{ Missed() uint64 }); ok {
		return m.Missed()
	}
	return 0
}
