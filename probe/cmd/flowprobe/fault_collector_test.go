package main

import (
	endian "encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// ipfixTemplate is what the test collector keeps of one IPFIX template: the length
// of its records and where their packet counters are.
type ipfixTemplate struct {
	length  int
	packets []ipfixField // packetDeltaCount (2), both directions
}

type ipfixField struct{ offset, length int }

// reversePEN is the enterprise number of RFC 5103's reverse elements.
const reversePEN = 29305

// ipfixCollector counts the data records and packets it receives, in the way of a
// collector that reads every message of an IPFIX session (RFC 7011). On TCP each
// connection is a session with its own templates and sequence numbers; on UDP
// templates are kept across datagrams.
type ipfixCollector struct {
	mu        sync.Mutex
	records   uint64 // data records decoded
	packets   uint64 // packetDeltaCount of both directions, summed over the records
	sessions  int    // TCP connections accepted
	templates int    // template sets received
	// byTemplate counts the data records of each template ID.
	byTemplate map[uint16]uint64
	faults     []string
	udpTmpl    map[uint16]ipfixTemplate

	ln    net.Listener
	pc    net.PacketConn
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// fault records a protocol error; the tests require none.
func (c *ipfixCollector) fault(format string, args ...any) {
	c.faults = append(c.faults, fmt.Sprintf(format, args...))
}

// counts returns the records and packets so far and the protocol errors.
func (c *ipfixCollector) counts() (records, packets uint64, faults []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.records, c.packets, append([]string(nil), c.faults...)
}

// serveTCP accepts IPFIX sessions on ln until stop.
func serveTCP(ln net.Listener) *ipfixCollector {
	c := &ipfixCollector{ln: ln, conns: map[net.Conn]bool{}}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.mu.Lock()
			c.sessions++
			c.conns[conn] = true
			c.mu.Unlock()
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				c.readSession(conn)
			}()
		}
	}()
	return c
}

// readSession reads the messages of one TCP session until it ends.
func (c *ipfixCollector) readSession(conn net.Conn) {
	tmpl := map[uint16]ipfixTemplate{}
	var seq uint32
	hdr := make([]byte, 16)
	for {
		if _, err := io.ReadFull(conn, hdr); err != nil {
			return
		}
		n := int(endian.BigEndian.Uint16(hdr[2:]))
		if n < 16 {
			c.mu.Lock()
			c.fault("message length %d", n)
			c.mu.Unlock()
			return
		}
		msg := make([]byte, n)
		copy(msg, hdr)
		if _, err := io.ReadFull(conn, msg[16:]); err != nil {
			return
		}
		c.mu.Lock()
		if got := endian.BigEndian.Uint32(msg[8:]); got != seq {
			c.fault("session %d: sequence number %d, want %d", c.sessions, got, seq)
		}
		seq += uint32(c.message(msg, tmpl))
		c.mu.Unlock()
	}
}

// serveUDP reads one IPFIX message per datagram on pc until stop, decoding data with
// the templates received so far.
func serveUDP(pc net.PacketConn) *ipfixCollector {
	c := &ipfixCollector{pc: pc, udpTmpl: map[uint16]ipfixTemplate{}}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		buf := make([]byte, 65535)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			c.mu.Lock()
			c.message(buf[:n], c.udpTmpl)
			c.mu.Unlock()
		}
	}()
	return c
}

// stop closes the collector and its sessions and waits for its goroutines.
func (c *ipfixCollector) stop() {
	if c.ln != nil {
		c.ln.Close()
	}
	if c.pc != nil {
		c.pc.Close()
	}
	c.mu.Lock()
	for conn := range c.conns {
		conn.Close()
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// message decodes the sets of one message and returns its data records. The caller
// holds c.mu.
func (c *ipfixCollector) message(msg []byte, tmpl map[uint16]ipfixTemplate) int {
	if len(msg) < 16 || endian.BigEndian.Uint16(msg) != 10 ||
		int(endian.BigEndian.Uint16(msg[2:])) != len(msg) {
		c.fault("bad message header % x", msg[:min(len(msg), 16)])
		return 0
	}
	records := 0
	for rest := msg[16:]; len(rest) > 0; {
		if len(rest) < 4 {
			c.fault("%d bytes after the last set", len(rest))
			break
		}
		id, n := endian.BigEndian.Uint16(rest), int(endian.BigEndian.Uint16(rest[2:]))
		if n < 4 || n > len(rest) {
			c.fault("set %d of length %d in %d bytes", id, n, len(rest))
			break
		}
		body := rest[4:n]
		rest = rest[n:]
		switch {
		case id == 2:
			c.templates++
			if err := parseTemplates(body, tmpl); err != nil {
				c.fault("template set: %v", err)
			}
		case id >= 256:
			t, ok := tmpl[id]
			if !ok {
				c.fault("data set %d before its template", id)
				continue
			}
			for ; len(body) >= t.length; body = body[t.length:] {
				records++
				if c.byTemplate == nil {
					c.byTemplate = map[uint16]uint64{}
				}
				c.byTemplate[id]++
				for _, f := range t.packets {
					c.packets += uintBE(body[f.offset : f.offset+f.length])
				}
			}
		}
	}
	c.records += uint64(records)
	return records
}

// parseTemplates adds the templates of one template set to tmpl.
func parseTemplates(body []byte, tmpl map[uint16]ipfixTemplate) error {
	for len(body) >= 4 {
		id, count := endian.BigEndian.Uint16(body), int(endian.BigEndian.Uint16(body[2:]))
		body = body[4:]
		var t ipfixTemplate
		for range count {
			if len(body) < 4 {
				return errors.New("template cut short")
			}
			ie, length := endian.BigEndian.Uint16(body), int(endian.BigEndian.Uint16(body[2:]))
			body = body[4:]
			var pen uint32
			if ie&0x8000 != 0 {
				if len(body) < 4 {
					return errors.New("enterprise number cut short")
				}
				pen = endian.BigEndian.Uint32(body)
				body = body[4:]
			}
			if length == 65535 {
				return fmt.Errorf("template %d: variable-length field %d", id, ie&0x7fff)
			}
			if ie&0x7fff == 2 && (pen == 0 || pen == reversePEN) {
				t.packets = append(t.packets, ipfixField{t.length, length})
			}
			t.length += length
		}
		if t.length == 0 {
			return fmt.Errorf("template %d has no fields", id)
		}
		tmpl[id] = t
	}
	return nil
}

func uintBE(b []byte) uint64 {
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v
}
