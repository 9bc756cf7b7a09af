package stream

import (
	"net"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

// peer is one connected client of a Server. Its fields are guarded by Server.mu.
type peer struct {
	conn   net.Conn
	hello  []byte
	known  bool       // the server had a format when the client came; else it is refused
	next   uint64     // index of the next container to send
	done   uint64     // messages in the containers before next
	cur    *container // container being written, nil between writes
	kicked bool       // disconnect: the format changed or the client went away

	id      uint32 // process ID (UNIX) or remote port (TCP, TLS), for statistics
	sent    uint64 // containers written
	sentMsg uint64 // messages in them
	skipped uint64 // messages skipped while behind
}

// serve sends the hello, then every finished container in order until the server
// closes, the format changes or the client goes away.
func (s *Server) serve(p *peer) {
	defer s.wg.Done()
	defer s.leave(p)

	p.conn.SetDeadline(time.Now().Add(helloTimeout))
	if err := tlsHandshake(p.conn); err != nil {
		return
	}
	if !p.known {
		// No format yet: libtrap sends an "unknown" hello and closes.
		p.conn.Write(wire.AppendHello(nil, wire.Format{}))
		return
	}
	// Header and specifier go out as two writes, as libtrap sends them.
	if _, err := p.conn.Write(p.hello[:wire.HelloHeaderSize]); err != nil {
		return
	}
	if len(p.hello) > wire.HelloHeaderSize {
		if _, err := p.conn.Write(p.hello[wire.HelloHeaderSize:]); err != nil {
			return
		}
	}
	p.conn.SetDeadline(time.Time{})
	s.wg.Add(1)
	go s.watch(p)

	for {
		c := s.nextFor(p)
		if c == nil {
			return
		}
		_, err := p.conn.Write(c.buf)
		s.mu.Lock()
		c.refs--
		if c.refs == 0 && !c.inRing {
			s.free = append(s.free, c)
		}
		p.cur = nil
		p.next++
		p.done = c.first + uint64(c.count)
		if err == nil {
			p.sent++
			p.sentMsg += uint64(c.count)
		}
		s.cond.Broadcast()
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// nextFor waits for the next container p should get and marks it in use, or returns
// nil when p must stop. A client whose next container was already reused (NO_WAIT)
// skips to the newest one; the skipped containers are counted.
func (s *Server) nextFor(p *peer) *container {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p.next >= s.head && !s.closing && !p.kicked {
		s.cond.Wait()
	}
	if p.kicked || p.next >= s.head {
		return nil
	}
	if s.head-p.next > uint64(len(s.ring)) {
		newest := s.ring[(s.head-1)%uint64(len(s.ring))]
		s.stats.Skipped += s.head - 1 - p.next
		s.stats.SkippedRecords += newest.first - p.done
		p.skipped += newest.first - p.done
		p.next, p.done = s.head-1, newest.first
	}
	c := s.ring[p.next%uint64(len(s.ring))]
	c.refs++
	p.cur = c
	return c
}

// leave unregisters p and closes its connection; a closed connection shows the client
// a FIN once everything was sent.
func (s *Server) leave(p *peer) {
	s.mu.Lock()
	if _, ok := s.peers[p]; ok {
		delete(s.peers, p)
		s.stats.Clients = len(s.peers)
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	if s.spec.Kind == ifc.TLS {
		// Let the peer see a TLS close_notify before the FIN.
		p.conn.SetDeadline(time.Now().Add(helloTimeout))
	}
	p.conn.Close()
}

// watch notices a client that went away while nothing was being sent to it: libtrap
// clients never send, so any end of reading means the client is gone.
func (s *Server) watch(p *peer) {
	defer s.wg.Done()
	var b [64]byte
	for {
		if _, err := p.conn.Read(b[:]); err != nil {
			break
		}
	}
	s.mu.Lock()
	p.kicked = true
	s.cond.Broadcast()
	s.mu.Unlock()
}
