package main

import (
	"encoding/binary"
	"fmt"
)

// IPFIX (RFC 7011) set IDs and header sizes the counter needs.
const (
	ipfixVersion     = 10
	msgHeaderLen     = 16
	setHeaderLen     = 4
	templateSetID    = 2
	optionsSetID     = 3
	firstDataSetID   = 256
	variableLength   = 65535
	enterpriseBit    = 0x8000
	shortVarLenLimit = 255
)

type templateKey struct {
	domain uint32
	id     uint16
}

// template is what the counter keeps of a template: its field lengths, and whether
// it describes options (exporter metadata) rather than flows.
type template struct {
	lengths []uint16
	options bool
}

// recordCounter counts the data records in a stream of IPFIX messages, learning
// templates as they arrive. It is not safe for concurrent use.
//
// It does not check sequence numbers: softflowd 1.1 numbers a message by the flow
// records up to and including it, where RFC 7011 counts the records before it, so
// a check would accuse one of the probes of losses it did not have. The sink
// measures its losses from the kernel's drop counter instead.
type recordCounter struct {
	templates map[templateKey]template

	FlowRecords   int64 // data records of ordinary templates
	OptionRecords int64 // data records of options templates
	// UnknownSets counts data sets that arrived before their template, whose
	// records could not be counted.
	UnknownSets int64
	Malformed   int64 // messages refused as malformed
}

func newRecordCounter() *recordCounter {
	return &recordCounter{templates: map[templateKey]template{}}
}

// add counts one IPFIX message. A malformed message is counted in Malformed and
// described by the error; what it held before the fault stays counted.
func (c *recordCounter) add(msg []byte) error {
	if err := c.parse(msg); err != nil {
		c.Malformed++
		return err
	}
	return nil
}

func (c *recordCounter) parse(msg []byte) error {
	if len(msg) < msgHeaderLen {
		return fmt.Errorf("message of %d bytes: shorter than the IPFIX header", len(msg))
	}
	if v := binary.BigEndian.Uint16(msg[0:]); v != ipfixVersion {
		return fmt.Errorf("message version %d: not IPFIX (10)", v)
	}
	length := int(binary.BigEndian.Uint16(msg[2:]))
	if length < msgHeaderLen || length > len(msg) {
		return fmt.Errorf("message length field %d: datagram holds %d bytes", length, len(msg))
	}
	domain := binary.BigEndian.Uint32(msg[12:])

	for off := msgHeaderLen; off < length; {
		if length-off < setHeaderLen {
			return fmt.Errorf("set at offset %d: %d bytes left for a 4-byte header", off, length-off)
		}
		id := binary.BigEndian.Uint16(msg[off:])
		setLen := int(binary.BigEndian.Uint16(msg[off+2:]))
		if setLen < setHeaderLen || off+setLen > length {
			return fmt.Errorf("set %d at offset %d: length %d overruns the message", id, off, setLen)
		}
		body := msg[off+setHeaderLen : off+setLen]
		var err error
		switch {
		case id == templateSetID || id == optionsSetID:
			err = c.learn(domain, body, id == optionsSetID)
		case id >= firstDataSetID:
			err = c.countData(templateKey{domain, id}, body)
		}
		if err != nil {
			return fmt.Errorf("set %d at offset %d: %w", id, off, err)
		}
		off += setLen
	}
	return nil
}

// learn records the templates of one template or options template set.
func (c *recordCounter) learn(domain uint32, body []byte, options bool) error {
	for len(body) >= 4 {
		id := binary.BigEndian.Uint16(body[0:])
		count := int(binary.BigEndian.Uint16(body[2:]))
		body = body[4:]
		if id < firstDataSetID {
			return fmt.Errorf("template id %d: below 256", id)
		}
		if options {
			if len(body) < 2 {
				return fmt.Errorf("options template %d: no scope field count", id)
			}
			body = body[2:]
		}
		if count == 0 {
			delete(c.templates, templateKey{domain, id}) // withdrawal
			continue
		}

		t := template{lengths: make([]uint16, count), options: options}
		for i := range count {
			if len(body) < 4 {
				return fmt.Errorf("template %d field %d: truncated", id, i)
			}
			ie := binary.BigEndian.Uint16(body[0:])
			t.lengths[i] = binary.BigEndian.Uint16(body[2:])
			body = body[4:]
			if ie&enterpriseBit != 0 {
				if len(body) < 4 {
					return fmt.Errorf("template %d field %d: truncated enterprise number", id, i)
				}
				body = body[4:]
			}
		}
		if minRecordLen(t.lengths) == 0 {
			return fmt.Errorf("template %d: records of zero length", id)
		}
		c.templates[templateKey{domain, id}] = t
	}
	return nil
}

// countData counts the records of one data set; what is left over shorter than a
// record is padding.
func (c *recordCounter) countData(key templateKey, body []byte) error {
	t, ok := c.templates[key]
	if !ok {
		c.UnknownSets++
		return nil
	}
	minLen := minRecordLen(t.lengths)
	n := int64(0)
	// Records stay counted when a later one in the set is malformed.
	defer func() {
		if t.options {
			c.OptionRecords += n
		} else {
			c.FlowRecords += n
		}
	}()
	for len(body) >= minLen {
		for i, l := range t.lengths {
			if l == variableLength {
				if len(body) < 1 {
					return fmt.Errorf("record %d field %d: truncated length", n, i)
				}
				l, body = uint16(body[0]), body[1:]
				if l == shortVarLenLimit {
					if len(body) < 2 {
						return fmt.Errorf("record %d field %d: truncated length", n, i)
					}
					l, body = binary.BigEndian.Uint16(body), body[2:]
				}
			}
			if len(body) < int(l) {
				return fmt.Errorf("record %d field %d: %d bytes left for %d", n, i, len(body), l)
			}
			body = body[l:]
		}
		n++
	}
	return nil
}

// minRecordLen is the shortest record a template allows: a variable-length field
// takes at least its one length byte.
func minRecordLen(lengths []uint16) int {
	n := 0
	for _, l := range lengths {
		if l == variableLength {
			l = 1
		}
		n += int(l)
	}
	return n
}
