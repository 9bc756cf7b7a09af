package ipfix

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// tcpSender sends messages over one TCP connection at a time and makes a new one,
// with exponential backoff, whenever the collector goes away. Every new connection
// starts with the templates and a sequence number of 0, since it is a new transport
// session. Messages wait in a queue bounded by Options.BufferRecords while there is
// no connection; a message whose write fails stays queued and is sent again, whole,
// on the next connection.
//
// The connection is taken up, and the queue written, by the goroutine that dials as
// soon as the collector answers: a collector that comes back gets what waited for it
// even when no new flows arrive. The lock serializes that with Export and Flush.
//
// The kernel accepts writes after the collector has gone until its reset comes
// back, so a few messages written in that window are lost without an error; a
// reader goroutine watches each connection for the collector's close to keep that
// window short.
type tcpSender struct {
	c      *core
	dialer net.Dialer

	redial chan struct{} // asks dialLoop for a connection
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// mu guards the rest: the connection, the queue and whether close has begun.
	mu     sync.Mutex
	closed bool
	conn   net.Conn
	seq    uint32

	queue  []*message // queue[head:] wait to be written
	head   int
	queued int // records in the queue
	free   []*message
}

func newTCPSender(c *core) (*tcpSender, error) {
	if _, err := net.ResolveTCPAddr("tcp", c.opts.Address); err != nil {
		return nil, fmt.Errorf("ipfix: tcp collector %s: %w", c.opts.Address, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &tcpSender{
		c:      c,
		dialer: net.Dialer{Timeout: c.opts.WriteTimeout},
		redial: make(chan struct{}, 1),
		ctx:    ctx,
		cancel: cancel,
	}
	s.wg.Add(1)
	go s.dialLoop()
	s.redial <- struct{}{}
	return s, nil
}

// dialLoop makes a connection each time one is asked for, retrying with backoff.
func (s *tcpSender) dialLoop() {
	defer s.wg.Done()
	timer := time.NewTimer(0)
	<-timer.C
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.redial:
		}
		backoff := s.c.opts.ReconnectMin
		for {
			conn, err := s.dial()
			if err == nil {
				s.takeUp(conn)
				break
			}
			timer.Reset(backoff)
			select {
			case <-s.ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
			}
			backoff = min(2*backoff, s.c.opts.ReconnectMax)
		}
	}
}

// dial connects to the collector, with TLS if the options ask for it.
func (s *tcpSender) dial() (net.Conn, error) {
	if s.c.opts.TLS == nil {
		return s.dialer.DialContext(s.ctx, "tcp", s.c.opts.Address)
	}
	d := tls.Dialer{NetDialer: &s.dialer, Config: s.c.opts.TLS}
	return d.DialContext(s.ctx, "tcp", s.c.opts.Address)
}

// takeUp makes conn the connection, sends the templates and writes what waits in
// the queue, unless close has begun.
func (s *tcpSender) takeUp(conn net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = conn.Close()
		return
	}
	s.conn = conn
	s.seq = 0
	s.c.counters.connects.Add(1)
	s.c.counters.connected.Store(true)

	s.wg.Add(1)
	go s.watch(conn)

	stamp(s.c.tmplMsg, s.c.opts.Now().Unix(), 0, s.c.opts.ObservationDomainID)
	if s.write(s.c.tmplMsg) {
		s.c.counters.templatesSent.Add(1)
	}
	s.drain()
}

// watch drops conn once the collector closes or resets it, so that a new connection
// is dialled without waiting for the next write to fail.
func (s *tcpSender) watch(conn net.Conn) {
	defer s.wg.Done()
	// A collector sends nothing on an IPFIX session; a read returns only when the
	// peer closes or resets the connection, or this side closes it.
	_, _ = io.Copy(io.Discard, conn)
	s.mu.Lock()
	if s.conn == conn {
		s.disconnect()
	}
	s.mu.Unlock()
}

func (s *tcpSender) disconnect() {
	_ = s.conn.Close()
	s.conn = nil
	s.c.counters.disconnects.Add(1)
	s.c.counters.connected.Store(false)
	select {
	case s.redial <- struct{}{}:
	default:
	}
}

// write writes b whole or drops the connection and reports false.
func (s *tcpSender) write(b []byte) bool {
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.c.opts.WriteTimeout))
	if _, err := s.conn.Write(b); err != nil {
		s.c.counters.writeErrors.Add(1)
		s.disconnect()
		return false
	}
	return true
}

// drain writes queued messages while the connection holds.
func (s *tcpSender) drain() {
	for s.head < len(s.queue) && s.conn != nil {
		m := s.queue[s.head]
		stamp(m.buf, s.c.opts.Now().Unix(), s.seq, s.c.opts.ObservationDomainID)
		if !s.write(m.buf) {
			return
		}
		s.seq += uint32(m.records)
		s.queued -= m.records
		s.c.counters.recordsSent.Add(uint64(m.records))
		s.c.counters.messagesSent.Add(1)
		s.c.counters.buffered.Store(uint64(s.queued))
		s.queue[s.head] = nil
		s.head++
		m.reset()
		s.free = append(s.free, m)
	}
	if s.head > 0 && s.head >= len(s.queue)/2 {
		// Keep the written prefix from growing while the queue never quite empties.
		n := copy(s.queue, s.queue[s.head:])
		clear(s.queue[n:])
		s.queue, s.head = s.queue[:n], 0
	}
}

func (s *tcpSender) send(m *message) (*message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drain()
	if s.queued+m.records > s.c.opts.BufferRecords {
		n := m.records
		s.c.counters.recordsDropped.Add(uint64(n))
		m.reset()
		return m, &DroppedError{Records: n, Collector: s.c.opts.Address, Cause: ErrBufferFull}
	}
	s.queue = append(s.queue, m)
	s.queued += m.records
	s.c.counters.buffered.Store(uint64(s.queued))
	s.drain()

	if n := len(s.free); n > 0 {
		next := s.free[n-1]
		s.free = s.free[:n-1]
		return next, nil
	}
	return newMessage(s.c.opts.MTU), nil
}

func (s *tcpSender) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drain()
	return nil
}

func (s *tcpSender) close() error {
	deadline := time.Now().Add(s.c.opts.CloseTimeout)
	for {
		s.mu.Lock()
		s.drain()
		queued := s.queued
		s.mu.Unlock()
		if queued == 0 || !time.Now().Before(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.cancel()
	s.mu.Lock()
	s.closed = true
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
		s.c.counters.connected.Store(false)
	}
	s.mu.Unlock()
	s.wg.Wait()

	var err error
	if s.queued > 0 {
		s.c.counters.recordsDropped.Add(uint64(s.queued))
		err = &DroppedError{Records: s.queued, Collector: s.c.opts.Address,
			Cause: ErrNotDelivered}
		s.queued = 0
		s.c.counters.buffered.Store(0)
	}
	return err
}
