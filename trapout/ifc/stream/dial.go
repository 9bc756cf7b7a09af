package stream

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

// retryDelay is how long a WAIT client sleeps between connection attempts, as in
// libtrap.
const retryDelay = time.Second

// minConnectWait is the least time a client with a finite timeout spends on one
// connection attempt, so that a short timeout can still connect at all.
const minConnectWait = 500 * time.Millisecond

// connect dials the server and negotiates. Under WAIT a failed attempt (refused,
// unresolvable, no format on the server yet) is retried every second until Close;
// otherwise it fails with ErrTimeout. A format mismatch fails at once.
func (c *Client) connect(deadline time.Time) (changed bool, err error) {
	for {
		limit := deadline
		if !limit.IsZero() && time.Until(limit) < minConnectWait {
			limit = time.Now().Add(minConnectWait)
		}
		conn, f, err := c.dialAndHello(limit)
		if err == nil {
			var outcome wire.Outcome
			outcome, err = wire.Negotiate(c.req, f)
			if err == nil {
				changed = outcome == wire.FormatChanged || (c.known && f != c.format)
				c.format, c.known = f, true
				c.mu.Lock()
				if c.closed {
					c.mu.Unlock()
					conn.Close()
					return false, ErrClosed
				}
				c.conn = conn
				c.connected.Store(true)
				c.mu.Unlock()
				c.fresh, c.have, c.size = true, 0, -1
				return changed, nil
			}
			conn.Close()
			if errors.Is(err, wire.ErrFormatMismatch) {
				return false, fmt.Errorf("negotiate with %s: %w", describe(c.spec), err)
			}
		}
		if c.timeout != ifc.Wait {
			return false, fmt.Errorf("connect to %s: %w (%v)", describe(c.spec), ErrTimeout, err)
		}
		select {
		case <-c.quit:
			return false, ErrClosed
		case <-time.After(retryDelay):
		}
	}
}

// dialAndHello opens a connection and reads the server's hello. The hello read allows
// a slow server several seconds, more than a C client would.
func (c *Client) dialAndHello(limit time.Time) (net.Conn, wire.Format, error) {
	ctx := c.ctx
	if !limit.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, limit)
		defer cancel()
	}
	var d net.Dialer
	var conn net.Conn
	var err error
	switch c.spec.Kind {
	case ifc.UNIX:
		conn, err = d.DialContext(ctx, "unix", c.spec.SocketPath)
	case ifc.TLS:
		td := tls.Dialer{NetDialer: &d, Config: c.tlsConf}
		conn, err = td.DialContext(ctx, "tcp", net.JoinHostPort(c.spec.Host, c.spec.Port))
	default:
		conn, err = d.DialContext(ctx, "tcp", net.JoinHostPort(c.spec.Host, c.spec.Port))
	}
	if err != nil {
		return nil, wire.Format{}, err
	}
	conn.SetReadDeadline(time.Now().Add(helloTimeout))
	f, err := readHello(conn)
	if err != nil {
		conn.Close()
		return nil, f, fmt.Errorf("read hello from %s: %w", describe(c.spec), err)
	}
	return conn, f, nil
}

func readHello(r io.Reader) (wire.Format, error) {
	var h [wire.HelloHeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return wire.Format{}, err
	}
	t, n, err := wire.ParseHelloHeader(h[:])
	if err != nil {
		return wire.Format{}, err
	}
	spec := make([]byte, n)
	if _, err := io.ReadFull(r, spec); err != nil {
		return wire.Format{}, err
	}
	return wire.Format{Type: t, Spec: string(spec)}, nil
}
