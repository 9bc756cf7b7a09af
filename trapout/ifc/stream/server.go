package stream

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

// helloTimeout bounds the TLS handshake and the hello write to a new client. A C
// client gives up on the hello after about 200 ms; the hello is sent at once, so only
// a dead client ever hits this limit.
const helloTimeout = 2 * time.Second

// Server is a socket output (t:, u: or T:). One goroutine sends on it; clients are
// served by goroutines of their own. Every client receives the same containers, from
// the first one finished after it connected.
type Server struct {
	spec ifc.Spec
	ln   net.Listener

	mu   sync.Mutex
	cond sync.Cond // the ring, the clients or the state changed

	format wire.Format
	hello  []byte

	timeout   ifc.Timeout
	autoflush time.Duration
	buffered  bool

	ring      []*container // finished containers; container n is in ring[n%len]
	head      uint64       // containers finished so far
	msgs      uint64       // messages in finished containers so far
	active    *container   // the container being filled
	finishing bool         // active is being pushed into the ring; do not touch it
	free      []*container
	lastPush  time.Time

	peers   map[*peer]struct{}
	closing bool
	closed  bool
	stats   Stats

	stop chan struct{}
	wg   sync.WaitGroup
}

// NewServer starts listening as s (an output specifier) describes and starts the
// accept and autoflush goroutines.
func NewServer(s ifc.Spec) (*Server, error) {
	if s.Input {
		return nil, fmt.Errorf("new server: %c interface %d is an input", s.Kind, s.Index)
	}
	ln, err := listen(s)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", describe(s), err)
	}
	srv := &Server{
		spec:      s,
		ln:        ln,
		timeout:   s.Timeout,
		autoflush: s.Autoflush,
		buffered:  s.Buffered,
		ring:      make([]*container, s.BufferCount),
		peers:     make(map[*peer]struct{}),
		lastPush:  time.Now(),
		stop:      make(chan struct{}),
	}
	srv.cond.L = &srv.mu
	srv.active = srv.newContainer()
	srv.wg.Add(2)
	go srv.acceptLoop()
	go srv.autoflushLoop()
	return srv, nil
}

// Addr returns the address the server listens on (useful with port 0 in tests).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// describe names the socket of s for error messages.
func describe(s ifc.Spec) string {
	if s.Kind == ifc.UNIX {
		return "UNIX socket " + s.SocketPath
	}
	if s.Input {
		return fmt.Sprintf("%s:%s", s.Host, s.Port)
	}
	return "port " + s.Port
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // the listener was closed
		}
		s.admit(conn)
	}
}

// admit registers a new client, or refuses it without a hello when max_clients are
// connected, and starts its goroutine. The client starts at the current ring head.
func (s *Server) admit(conn net.Conn) {
	s.mu.Lock()
	if s.closing || len(s.peers) >= s.spec.MaxClients {
		s.mu.Unlock()
		conn.Close()
		return
	}
	p := &peer{conn: conn, next: s.head, done: s.msgs, hello: s.hello,
		known: s.format.Type != wire.Unknown, id: peerID(conn)}
	if p.known {
		s.peers[p] = struct{}{}
		s.stats.Clients = len(s.peers)
		s.cond.Broadcast()
	}
	s.mu.Unlock()
	s.wg.Add(1)
	go s.serve(p)
}

// SetFormat sets the format announced to clients. Changing an existing format
// finishes the active container, waits until the clients have received everything of
// the old format (as Close does), then disconnects them so that they negotiate the
// new one. Containers of the old format are never sent after the change.
func (s *Server) SetFormat(f wire.Format) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return ErrClosed
	}
	if f == s.format {
		return nil
	}
	if s.format.Type != wire.Unknown {
		s.waitFinishing()
		s.finish()
		s.drain()
		for p := range s.peers {
			p.kicked = true
			delete(s.peers, p)
		}
		s.stats.Clients = 0
		s.cond.Broadcast()
	}
	s.format = f
	s.hello = wire.AppendHello(nil, f)
	return nil
}

// SetTimeout sets the send timeout.
func (s *Server) SetTimeout(t ifc.Timeout) {
	s.mu.Lock()
	s.timeout = t
	s.cond.Broadcast()
	s.mu.Unlock()
}

// SetAutoflush sets the autoflush period; a negative one disables it.
func (s *Server) SetAutoflush(d time.Duration) {
	s.mu.Lock()
	s.autoflush = d
	s.mu.Unlock()
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Containers = s.head
	return st
}

// PeerStats appends the counters of every connected client to dst and returns it.
func (s *Server) PeerStats(dst []PeerStats) []PeerStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := range s.peers {
		dst = append(dst, PeerStats{ID: p.id, Containers: p.sent, Messages: p.sentMsg,
			SkippedRecords: p.skipped})
	}
	return dst
}

// Close finishes the active container, waits until every connected client has
// received every finished container, disconnects the clients and stops listening;
// a UNIX socket file is removed. Under WAIT and HALF_WAIT a client that stops reading
// but stays connected keeps Close waiting, as it keeps libtrap's finalize; an output
// that never blocks gives up on it after noWaitDrainLimit.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.autoflush = -1
	s.waitFinishing()
	s.finish()
	s.drain()
	s.closing = true
	s.cond.Broadcast()
	s.mu.Unlock()

	close(s.stop)
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

// noWaitDrainLimit bounds how long Close and SetFormat wait for slow clients of an
// output that never blocks (NO_WAIT or a number): such an output must not hang on a
// client that stopped reading. Clients still behind after it are disconnected.
const noWaitDrainLimit = 2 * time.Second

// drain waits until every client has been handed every finished container. Under
// WAIT and HALF_WAIT it waits as long as that takes; otherwise at most
// noWaitDrainLimit, after which it disconnects the clients still behind.
func (s *Server) drain() {
	expired := false
	if s.timeout != ifc.Wait && s.timeout != ifc.HalfWait {
		t := time.AfterFunc(noWaitDrainLimit, func() {
			s.mu.Lock()
			expired = true
			s.cond.Broadcast()
			s.mu.Unlock()
		})
		defer t.Stop()
	}
	for {
		behind := false
		for p := range s.peers {
			if p.next < s.head || p.cur != nil {
				behind = true
				break
			}
		}
		if !behind {
			return
		}
		if expired {
			for p := range s.peers {
				if p.next < s.head || p.cur != nil {
					// The container being written is cut off too.
					s.stats.Skipped += s.head - p.next
					s.stats.SkippedRecords += s.msgs - p.done
					p.kicked = true
					p.conn.Close() // unblocks a write to a client that does not read
				}
			}
			return
		}
		s.cond.Wait()
	}
}

// tlsHandshake completes the handshake of a TLS client before the hello goes out.
func tlsHandshake(conn net.Conn) error {
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return nil
	}
	return tc.Handshake()
}
