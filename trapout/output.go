package trapout

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
	"github.com/flowprobe/flowprobe/trapout/ifc/stream"
	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

// sender is what every output interface type implements.
type sender interface {
	SetFormat(f wire.Format) error
	Send(msg []byte) error
	Flush() error
	SetTimeout(t ifc.Timeout)
	SetAutoflush(d time.Duration)
	Stats() OutputStats
	Close() error
}

// OutputStats counts what an output did.
type OutputStats = stream.Stats

// Output is one output interface. It is not safe for concurrent use: one goroutine
// sends on it (libtrap's rule too); Close comes from the Context.
type Output struct {
	spec    ifc.Spec
	impl    sender
	dropped atomic.Uint64 // messages Send refused
}

// eofMessage is the end-of-data marker NEMEA modules send: one zero byte.
var eofMessage = []byte{0}

// SetFormat sets the UniRec template string the output announces. It must be the
// canonical template (as unirec.Template.String returns it): C receivers compare
// strings without tolerance. Setting a different format on an output that already
// has one flushes the old data, then disconnects the clients of a socket output so
// that they negotiate again.
func (o *Output) SetFormat(template string) error {
	return o.SetDataFormat(UniRec, template)
}

// SetDataFormat sets any data type: Raw (spec ignored), UniRec or JSON.
func (o *Output) SetDataFormat(t DataType, spec string) error {
	if t != Raw && t != UniRec && t != JSON {
		return fmt.Errorf("output %d: set format: unsupported data type %s", o.spec.Index, t)
	}
	if t == Raw {
		spec = ""
	}
	if err := o.impl.SetFormat(wire.Format{Type: t, Spec: spec}); err != nil {
		return fmt.Errorf("output %d: set format: %w", o.spec.Index, err)
	}
	return nil
}

// Send queues one message (a UniRec record, at most 65535 bytes). The output keeps no
// reference to msg after Send returns. Under the WAIT timeout a socket output blocks
// while no client is connected and while its slowest client is a whole ring behind.
func (o *Output) Send(msg []byte) error {
	err := o.impl.Send(msg)
	if err != nil {
		o.dropped.Add(1)
	}
	return err
}

// SendEOF sends the end-of-data marker, a 1-byte message that receivers take as the
// end of the stream.
func (o *Output) SendEOF() error { return o.Send(eofMessage) }

// Flush sends out the partly filled container now.
func (o *Output) Flush() error { return o.impl.Flush() }

// SetTimeout sets the send timeout unless the `-i` argument fixed it.
func (o *Output) SetTimeout(t Timeout) {
	if !o.spec.TimeoutFixed {
		o.impl.SetTimeout(t)
	}
}

// SetAutoflush sets how long a socket output keeps a partly filled container while
// clients are connected (negative: never), unless the `-i` argument fixed it.
func (o *Output) SetAutoflush(d time.Duration) {
	if !o.spec.AutoflushFixed {
		o.impl.SetAutoflush(d)
	}
}

// Stats returns the output's counters.
func (o *Output) Stats() OutputStats { return o.impl.Stats() }

// Spec returns the parsed interface specifier of the output.
func (o *Output) Spec() ifc.Spec { return o.spec }
