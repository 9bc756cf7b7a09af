package ipfix

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// udpSender sends each message as one datagram on a connected UDP socket.
//
// A collector that is not listening makes the kernel report an ICMP port unreachable
// as ECONNREFUSED on a later write, and that write sends nothing. The sender counts
// it and writes again, so exporting never stops because a collector was down.
type udpSender struct {
	c    *core
	conn net.Conn
	seq  uint32

	templatesSent     bool
	templatesAt       time.Time
	messagesSinceTmpl int
}

// refusedRetries bounds the writes of one message that may come back refused; each
// one consumes the report of an earlier datagram.
const refusedRetries = 2

func newUDPSender(c *core) (*udpSender, error) {
	conn, err := net.Dial("udp", c.opts.Address)
	if err != nil {
		return nil, fmt.Errorf("ipfix: udp collector %s: %w", c.opts.Address, err)
	}
	return &udpSender{c: c, conn: conn}, nil
}

func (s *udpSender) send(m *message) (*message, error) {
	now := s.c.opts.Now()
	if s.templatesDue(now) {
		stamp(s.c.tmplMsg, now.Unix(), s.seq, s.c.opts.ObservationDomainID)
		if err := s.write(s.c.tmplMsg); err == nil {
			s.c.counters.templatesSent.Add(1)
			s.templatesSent, s.templatesAt, s.messagesSinceTmpl = true, now, 0
		}
	}

	stamp(m.buf, now.Unix(), s.seq, s.c.opts.ObservationDomainID)
	n := m.records
	err := s.write(m.buf)
	m.reset()
	if err != nil {
		s.c.counters.recordsDropped.Add(uint64(n))
		return m, &DroppedError{Records: n, Collector: s.c.opts.Address, Cause: err}
	}
	s.seq += uint32(n)
	s.messagesSinceTmpl++
	s.c.counters.recordsSent.Add(uint64(n))
	s.c.counters.messagesSent.Add(1)
	return m, nil
}

func (s *udpSender) templatesDue(now time.Time) bool {
	o := &s.c.opts
	return !s.templatesSent || now.Sub(s.templatesAt) >= o.TemplateRefresh ||
		(o.TemplateRefreshMessages > 0 && s.messagesSinceTmpl >= o.TemplateRefreshMessages)
}

func (s *udpSender) write(b []byte) error {
	for try := 0; ; try++ {
		_, err := s.conn.Write(b)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			s.c.counters.writeErrors.Add(1)
			return err
		}
		s.c.counters.refused.Add(1)
		if try == refusedRetries {
			return err
		}
	}
}

func (s *udpSender) flush() error { return nil }

func (s *udpSender) close() error {
	if err := s.conn.Close(); err != nil {
		return fmt.Errorf("ipfix: close udp socket: %w", err)
	}
	return nil
}
