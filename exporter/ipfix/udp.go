package ipfix

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// ErrRefused is the cause of records dropped on UDP because the collector's host
// answered their datagram with ICMP port unreachable: nobody listened there.
var ErrRefused = errors.New("the collector's host refused the datagram (port unreachable)")

// udpSender sends each message as one datagram on a connected UDP socket.
//
// A collector that is not listening makes its host answer with ICMP port
// unreachable, which the kernel reports as ECONNREFUSED on a later write of this
// socket; that write sends nothing. The refusal concerns the datagram written
// before, so the sender counts that datagram's records as dropped, writes the
// refused message again, and sends the templates again with the next message, so
// that a collector that starts later decodes at once. Exporting never stops because
// a collector was down.
//
// What UDP cannot tell: a datagram lost on the way or dropped by a collector that
// reads too slowly raises no error at all; a host that sends no ICMP (a firewall)
// refuses silently; the kernel keeps one pending refusal, so two datagrams refused
// before the next write count as one; and a refusal of the last datagram that
// arrives after Close is never seen. RecordsDropped is therefore a lower bound.
type udpSender struct {
	c    *core
	conn *net.UDPConn
	seq  uint32

	templatesSent     bool
	templatesAt       time.Time
	messagesSinceTmpl int

	// lastRecords is how many data records the last datagram written held: the
	// records a refusal reported by the next write has lost.
	lastRecords int
	// refused is set by a refused write and cleared when a message goes out.
	refused bool
}

// refusedRetries bounds the writes of one message that may come back refused; each
// one consumes the report of an earlier datagram.
const refusedRetries = 2

func newUDPSender(c *core) (*udpSender, error) {
	conn, err := net.Dial("udp", c.opts.Address)
	if err != nil {
		return nil, fmt.Errorf("ipfix: udp collector %s: %w", c.opts.Address, err)
	}
	return &udpSender{c: c, conn: conn.(*net.UDPConn)}, nil
}

func (s *udpSender) send(m *message) (*message, error) {
	now := s.c.opts.Now()
	lost := 0
	var cause error
	if s.templatesDue(now) {
		stamp(s.c.tmplMsg, now.Unix(), s.seq, s.c.opts.ObservationDomainID)
		n, err := s.write(s.c.tmplMsg, 0)
		lost += n
		if err == nil {
			s.c.counters.templatesSent.Add(1)
			s.templatesSent, s.templatesAt, s.messagesSinceTmpl = true, now, 0
		}
	}

	stamp(m.buf, now.Unix(), s.seq, s.c.opts.ObservationDomainID)
	records := m.records
	n, err := s.write(m.buf, records)
	lost += n
	m.reset()
	if s.refused {
		// The collector was missing a moment ago; if it starts now, it needs the
		// templates to decode the next message.
		s.templatesSent, s.refused = false, false
	}
	if err != nil {
		lost += records
		cause = err
		if errors.Is(err, syscall.ECONNREFUSED) {
			cause = ErrRefused
		}
	} else {
		s.seq += uint32(records)
		s.messagesSinceTmpl++
		s.c.counters.recordsSent.Add(uint64(records))
		s.c.counters.messagesSent.Add(1)
	}
	if lost == 0 {
		return m, nil
	}
	if cause == nil {
		cause = ErrRefused
	}
	s.c.counters.recordsDropped.Add(uint64(lost))
	return m, &DroppedError{Records: lost, Collector: s.c.opts.Address, Cause: cause}
}

func (s *udpSender) templatesDue(now time.Time) bool {
	o := &s.c.opts
	return !s.templatesSent || now.Sub(s.templatesAt) >= o.TemplateRefresh ||
		(o.TemplateRefreshMessages > 0 && s.messagesSinceTmpl >= o.TemplateRefreshMessages)
}

// write sends b, a datagram of records data records, and returns how many records
// of the datagram before it a refusal reported lost.
func (s *udpSender) write(b []byte, records int) (lost int, err error) {
	for try := 0; ; try++ {
		_, err := s.conn.Write(b)
		if err == nil {
			s.lastRecords = records
			return lost, nil
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			s.c.counters.writeErrors.Add(1)
			return lost, err
		}
		s.c.counters.refused.Add(1)
		s.refused = true
		lost += s.lastRecords
		s.lastRecords = 0
		if try == refusedRetries {
			return lost, err
		}
	}
}

func (s *udpSender) flush() error { return nil }

// close reads a refusal of the last datagram that is already pending, so that
// records lost at the very end are counted too, then closes the socket.
func (s *udpSender) close() error {
	var dropped error
	if s.lastRecords > 0 && s.pendingRefusal() {
		s.c.counters.refused.Add(1)
		s.c.counters.recordsDropped.Add(uint64(s.lastRecords))
		dropped = &DroppedError{Records: s.lastRecords, Collector: s.c.opts.Address,
			Cause: ErrRefused}
		s.lastRecords = 0
	}
	if err := s.conn.Close(); err != nil {
		return errors.Join(dropped, fmt.Errorf("ipfix: close udp socket: %w", err))
	}
	return dropped
}

// pendingRefusal takes the socket's pending error and reports whether it is a
// refusal.
func (s *udpSender) pendingRefusal() bool {
	raw, err := s.conn.SyscallConn()
	if err != nil {
		return false
	}
	var soErr int
	ctlErr := raw.Control(func(fd uintptr) {
		soErr, err = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
	})
	return ctlErr == nil && err == nil && syscall.Errno(soErr) == syscall.ECONNREFUSED
}
