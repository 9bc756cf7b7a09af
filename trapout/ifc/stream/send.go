package stream

import (
	"fmt"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

// container is one buffer of the ring: the 14-byte header then the messages.
type container struct {
	buf    []byte // header and payload; cap is the output's buffer_size
	count  int    // messages in buf
	first  uint64 // messages finished before this container
	refs   int    // clients writing buf right now
	inRing bool
}

// newContainer takes a recycled container or makes one.
func (s *Server) newContainer() *container {
	if n := len(s.free); n > 0 {
		c := s.free[n-1]
		s.free = s.free[:n-1]
		c.buf = c.buf[:wire.ContainerHeaderSize]
		c.count = 0
		return c
	}
	return &container{buf: make([]byte, wire.ContainerHeaderSize, s.spec.BufferSize)}
}

// Send appends msg to the active container and finishes the container when the next
// message would not fit, or at once with buffering off. Under WAIT it first waits
// for a client. It does not allocate once the ring's containers exist.
func (s *Server) Send(msg []byte) error {
	if len(msg) > wire.MaxMessage || wire.ContainerHeaderSize+2+len(msg) > s.spec.BufferSize {
		return fmt.Errorf("send on %s: %d-byte message does not fit a %d-byte container",
			describe(s.spec), len(msg), s.spec.BufferSize)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.format.Type == wire.Unknown {
		return fmt.Errorf("send on %s: no data format set", describe(s.spec))
	}
	if s.timeout == ifc.Wait {
		for len(s.peers) == 0 && !s.closed {
			s.cond.Wait()
		}
	}
	s.waitFinishing()
	if s.closed { // closed by another goroutine while this one waited
		return ErrClosed
	}
	if len(s.active.buf)+2+len(msg) > cap(s.active.buf) {
		s.finish()
	}
	s.active.buf = wire.AppendMessage(s.active.buf, msg)
	s.active.count++
	s.stats.Sent++
	if !s.buffered {
		s.finish()
	}
	return nil
}

// Flush finishes the active container so that clients get it now. Under WAIT it
// waits for a client first when there is something to send.
func (s *Server) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.timeout == ifc.Wait && s.active.count > 0 {
		for len(s.peers) == 0 && !s.closed {
			s.cond.Wait()
		}
	}
	s.waitFinishing()
	if s.active.count > 0 {
		s.stats.Flushes++
	}
	s.finish()
	return nil
}

func (s *Server) waitFinishing() {
	for s.finishing {
		s.cond.Wait()
	}
}

// finish writes the active container's header and pushes it into the ring. Under
// WAIT and HALF_WAIT it first waits while the slowest client still needs the slot;
// otherwise the slot is reused and that client skips ahead later. The caller holds
// s.mu and has waited for s.finishing to clear.
func (s *Server) finish() {
	c := s.active
	if c.count == 0 {
		return
	}
	seq := s.msgs
	if !s.buffered && seq > 0 {
		// libtrap's unbuffered output numbers containers one too low after the first;
		// C receivers use it for statistics only, and byte equality needs it.
		seq--
	}
	wire.PutContainerHeader(c.buf, wire.ContainerHeader{
		PayloadLen: uint32(len(c.buf) - wire.ContainerHeaderSize),
		Seq:        seq,
		Count:      uint16(c.count),
	})

	size := uint64(len(s.ring))
	if s.timeout == ifc.Wait || s.timeout == ifc.HalfWait {
		s.finishing = true
		for !s.closing && s.slowest()+size <= s.head {
			s.cond.Wait()
		}
		s.finishing = false
	}
	slot := s.head % size
	if old := s.ring[slot]; old != nil {
		old.inRing = false
		if old.refs == 0 {
			s.free = append(s.free, old)
		}
	}
	s.ring[slot] = c
	c.inRing = true
	// Counted only now, with head, so that a client admitted while this container
	// waited for its slot starts at it with the right count of messages before it.
	c.first = s.msgs
	s.msgs += uint64(c.count)
	s.head++
	if s.autoflush >= 0 {
		s.lastPush = time.Now()
	}
	s.active = s.newContainer()
	s.cond.Broadcast()
}

// slowest returns the lowest next container among the clients, or the head when
// there are none.
func (s *Server) slowest() uint64 {
	low := s.head
	for p := range s.peers {
		if p.next < low {
			low = p.next
		}
	}
	return low
}

// autoflushLoop finishes a non-empty active container once it is older than the
// autoflush period, while clients are connected.
func (s *Server) autoflushLoop() {
	defer s.wg.Done()
	t := time.NewTimer(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		wait := 100 * time.Millisecond
		if s.autoflush >= 0 {
			since := time.Since(s.lastPush)
			if since >= s.autoflush {
				if len(s.peers) > 0 && s.active.count > 0 && !s.finishing {
					s.stats.Flushes++
					s.finish()
				}
				since = 0
			}
			wait = max(s.autoflush-since, time.Millisecond)
		}
		s.mu.Unlock()
		t.Reset(wait)
	}
}
