package trapout

import (
	"sync/atomic"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

// blackhole is the `b:` output: it accepts and drops every message and reports one
// client, as libtrap's does.
type blackhole struct {
	sent atomic.Uint64
}

func (b *blackhole) SetFormat(wire.Format) error { return nil }

func (b *blackhole) Send(msg []byte) error {
	if len(msg) > wire.MaxMessage {
		return wire.ErrMessageTooLong
	}
	b.sent.Add(1)
	return nil
}

func (b *blackhole) Flush() error               { return nil }
func (b *blackhole) SetTimeout(ifc.Timeout)     {}
func (b *blackhole) SetAutoflush(time.Duration) {}
func (b *blackhole) Close() error               { return nil }

func (b *blackhole) Stats() OutputStats {
	return OutputStats{Sent: b.sent.Load(), Clients: 1}
}
