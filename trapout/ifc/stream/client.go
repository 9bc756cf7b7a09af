package stream

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

// Client is a socket input (t:, u: or T:). It connects on the first Recv, and again
// whenever the connection drops. Recv must be called from one goroutine; Close may
// be called from any.
type Client struct {
	spec    ifc.Spec
	tlsConf *tls.Config
	timeout ifc.Timeout
	req     wire.Format
	format  wire.Format // negotiated with the current or the last server
	known   bool        // format holds a negotiated format

	conn    net.Conn
	header  [wire.ContainerHeaderSize]byte
	buf     []byte // the container being read
	have    int    // bytes of the current container read so far, header included
	size    int    // payload length of the current container, once its header is in
	payload []byte // messages of the current container not yet returned

	seen  uint64 // next sequence number expected
	fresh bool   // no container read yet on this connection

	// Counters for statistics, read by other goroutines while Recv runs; they change
	// once per container, not per message.
	missed     atomic.Uint64 // messages the sequence numbers say never arrived
	containers atomic.Uint64 // containers whose header was read
	announced  atomic.Uint64 // messages the headers of those containers announced
	connected  atomic.Bool   // a negotiated connection is open

	mu     sync.Mutex // guards closed and conn against Close
	closed bool
	quit   chan struct{}
	ctx    context.Context // canceled by Close, so that a pending dial ends
	cancel context.CancelFunc
}

// NewClient prepares a client as s (an input specifier) describes. By default it
// requires UniRec data of any template.
func NewClient(s ifc.Spec) (*Client, error) {
	if !s.Input {
		return nil, fmt.Errorf("new client: %c interface %d is an output", s.Kind, s.Index)
	}
	c := &Client{
		spec:    s,
		timeout: s.Timeout,
		req:     wire.Format{Type: wire.UniRec},
		buf:     make([]byte, wire.MaxPayload),
		size:    -1,
		quit:    make(chan struct{}),
	}
	if s.Kind == ifc.TLS {
		conf, err := clientTLS(s)
		if err != nil {
			return nil, err
		}
		c.tlsConf = conf
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// SetRequired sets the format the client accepts; it applies from the next
// negotiation.
func (c *Client) SetRequired(f wire.Format) { c.req = f }

// SetTimeout sets how long Recv may wait.
func (c *Client) SetTimeout(t ifc.Timeout) { c.timeout = t }

// Format returns the negotiated format.
func (c *Client) Format() wire.Format { return c.format }

// Missed returns how many messages the containers' sequence numbers say were lost,
// for example skipped by a NO_WAIT server.
func (c *Client) Missed() uint64 { return c.missed.Load() }

// Pending tells whether the current container holds more messages, so that the next
// Recv returns without reading the socket.
func (c *Client) Pending() bool { return len(c.payload) > 0 }

// Buffers returns how many containers the client read so far; it is safe to call
// from any goroutine.
func (c *Client) Buffers() uint64 { return c.containers.Load() }

// ClientStats counts what a socket input received. It may be read while another
// goroutine receives.
type ClientStats struct {
	Containers uint64 // containers whose header was read
	Messages   uint64 // messages those container headers announced
	Missed     uint64 // messages the sequence numbers say never arrived
	Connected  bool   // a negotiated connection is open now
}

// Stats returns the client's counters; it is safe to call from any goroutine.
func (c *Client) Stats() ClientStats {
	return ClientStats{
		Containers: c.containers.Load(),
		Messages:   c.announced.Load(),
		Missed:     c.missed.Load(),
		Connected:  c.connected.Load(),
	}
}

// Recv returns the next message, valid until the next call. changed is true, with
// no message, right after a negotiation that changed the format. With a timeout other
// than WAIT it returns an error wrapping ErrTimeout when nothing came in time; a
// partly read container is kept and completed by the next call.
func (c *Client) Recv() (msg []byte, changed bool, err error) {
	var deadline time.Time
	for first := true; ; first = false {
		if len(c.payload) > 0 {
			msg, rest, err := wire.NextMessage(c.payload)
			if err != nil {
				c.payload = nil
				return nil, false, fmt.Errorf("receive from %s: %w", describe(c.spec), err)
			}
			c.payload = rest
			return msg, false, nil
		}
		if c.isClosed() {
			return nil, false, ErrClosed
		}
		if first { // only now, as most calls return a message already read
			deadline = c.deadline()
		}
		if c.conn == nil {
			changed, err := c.connect(deadline)
			if err != nil || changed {
				return nil, changed, err
			}
		}
		if err := c.readContainer(deadline); err != nil {
			return nil, false, err
		}
	}
}

// deadline turns the timeout into an absolute time; the zero time means no limit.
// Go does not even try a read whose deadline has passed, so NO_WAIT gets a
// millisecond.
func (c *Client) deadline() time.Time {
	if c.timeout < 0 {
		return time.Time{}
	}
	return time.Now().Add(max(c.timeout.Duration(), time.Millisecond))
}

// readContainer reads the rest of the current container into c.payload. A timeout
// keeps what was read; a closed or broken connection drops it, and the next call
// reconnects.
func (c *Client) readContainer(deadline time.Time) error {
	c.conn.SetReadDeadline(deadline)
	for c.have < wire.ContainerHeaderSize {
		n, err := c.conn.Read(c.header[c.have:])
		c.have += n
		if err != nil {
			return c.readFailed(err)
		}
	}
	if c.have == wire.ContainerHeaderSize && c.size < 0 {
		h, err := wire.ParseContainerHeader(c.header[:])
		if err != nil {
			c.disconnect()
			return fmt.Errorf("receive from %s: %w", describe(c.spec), err)
		}
		c.size = int(h.PayloadLen)
		if h.Seq > c.seen && !c.fresh {
			c.missed.Add(h.Seq - c.seen)
		}
		c.containers.Add(1)
		c.announced.Add(uint64(h.Count))
		c.fresh = false
		c.seen = h.Seq + uint64(h.Count)
	}
	for c.have < wire.ContainerHeaderSize+c.size {
		n, err := c.conn.Read(c.buf[c.have-wire.ContainerHeaderSize : c.size])
		c.have += n
		if err != nil {
			return c.readFailed(err)
		}
	}
	c.payload = c.buf[:c.size]
	c.have, c.size = 0, -1
	return nil
}

// readFailed handles a read error: a timeout keeps the partial container, anything
// else drops the connection and the partial container.
func (c *Client) readFailed(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return ErrTimeout
	}
	c.disconnect()
	if c.isClosed() {
		return ErrClosed
	}
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return nil // reconnect in the next round of Recv
	}
	if c.timeout == ifc.Wait {
		return nil
	}
	return fmt.Errorf("receive from %s: %w", describe(c.spec), err)
}

func (c *Client) disconnect() {
	c.mu.Lock()
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
	c.connected.Store(false)
	c.mu.Unlock()
	c.have, c.size, c.payload = 0, -1, nil
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Close disconnects and makes a blocked Recv return ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	c.connected.Store(false)
	close(c.quit)
	c.cancel()
	if c.conn != nil {
		c.conn.Close()
	}
	return nil
}
