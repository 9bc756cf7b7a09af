package ipfix

import (
	"errors"
	"fmt"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// ErrClosed is returned by an Exporter used after Close.
var ErrClosed = errors.New("ipfix: exporter closed")

// Exporter sends flow records to one IPFIX collector. It implements flow.Exporter.
//
// Export packs records into messages of at most Options.MTU bytes and sends each
// message when it is full; Flush sends the last, partly filled one, so the flow
// engine should call Flush whenever it has nothing more to export for a while.
type Exporter struct {
	opts   Options
	enc    encoding
	core   *core
	cur    *message
	sender sender
	closed bool
}

var _ flow.Exporter = (*Exporter)(nil)

// sender is the transport: it sends or queues a finished message and hands back an
// empty one to fill next.
type sender interface {
	send(m *message) (*message, error)
	flush() error
	close() error
}

// core is what both transports share.
type core struct {
	opts     Options
	tmplMsg  []byte // a whole template message; its header is stamped at each send
	counters counters
}

// New validates opts, opens the transport and returns an Exporter. On UDP the socket
// is connected to the collector at once. On TCP the connection is made in the
// background, so New succeeds while the collector is down; records wait for it in a
// bounded buffer. New fails only for bad options or an address that does not resolve.
func New(opts Options) (*Exporter, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	enc := encoding{milliseconds: opts.Milliseconds, tunnels: opts.Tunnels}
	set, err := templateSet(enc)
	if err != nil {
		return nil, err
	}
	if headerLen+len(set) > opts.MTU {
		return nil, fmt.Errorf("ipfix: mtu %d: the templates need a message of %d bytes",
			opts.MTU, headerLen+len(set))
	}
	c := &core{opts: opts, tmplMsg: append(make([]byte, headerLen), set...)}

	var s sender
	if opts.Transport == TCP {
		s, err = newTCPSender(c)
	} else {
		s, err = newUDPSender(c)
	}
	if err != nil {
		return nil, err
	}
	return &Exporter{opts: opts, enc: enc, core: c, cur: newMessage(opts.MTU), sender: s}, nil
}

// Export encodes records and sends every message that fills up. It keeps no
// reference to records. When records are dropped the error is a *DroppedError that
// says how many (they are counted in Stats too); the others were sent or buffered,
// and later calls go on exporting. A message that fills up carries records of
// earlier calls as well, so a call may report drops of records it was not given.
func (e *Exporter) Export(records []flow.Record) error {
	if e.closed {
		return ErrClosed
	}
	var drops dropTally
	for i := range records {
		r := &records[i]
		if e.cur.add(r, e.enc) {
			continue
		}
		drops.add(e.ship())
		// An empty message always has room for one record: MTU is at least 512.
		e.cur.add(r, e.enc)
	}
	return drops.err(e.opts.Address)
}

// Flush sends the partly filled message, and on TCP whatever waits for the
// connection if it is up.
func (e *Exporter) Flush() error {
	if e.closed {
		return ErrClosed
	}
	var drops dropTally
	if e.cur.records > 0 {
		drops.add(e.ship())
	}
	drops.add(e.sender.flush())
	return drops.err(e.opts.Address)
}

// Close flushes, waits on TCP up to Options.CloseTimeout for buffered records to be
// delivered, and releases the socket and background goroutines. Records still
// undelivered then are dropped and reported, as by Export, in a *DroppedError.
func (e *Exporter) Close() error {
	if e.closed {
		return ErrClosed
	}
	var drops dropTally
	drops.add(e.Flush())
	e.closed = true
	drops.add(e.sender.close())
	return drops.err(e.opts.Address)
}

// Stats returns the counters. It is safe to call from any goroutine.
func (e *Exporter) Stats() Stats {
	return e.core.counters.snapshot()
}

func (e *Exporter) ship() error {
	e.cur.closeSet()
	next, err := e.sender.send(e.cur)
	e.cur = next
	return err
}
