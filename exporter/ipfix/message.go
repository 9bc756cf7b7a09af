package ipfix

import (
	"encoding/binary"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// message is one IPFIX message being filled with data records. It holds one data
// set per run of records of the same template, so IPv4 and IPv6 records share a
// message. The header is written when the message is sent, because the sequence
// number depends on what was sent before it.
type message struct {
	buf      []byte // header, sets; len is the used length, cap the MTU
	records  int
	setStart int // offset of the open data set, -1 when none is open
	setID    uint16
}

func newMessage(mtu int) *message {
	m := &message{buf: make([]byte, headerLen, mtu)}
	m.reset()
	return m
}

func (m *message) reset() {
	m.buf = m.buf[:headerLen]
	m.records = 0
	m.setStart = -1
}

// add appends r if it fits and reports whether it did.
func (m *message) add(r *flow.Record, enc encoding) bool {
	n, id := recordLen(r, enc)
	need := n
	if m.setStart < 0 || m.setID != id {
		need += setHeaderLen
	}
	if len(m.buf)+need > cap(m.buf) {
		return false
	}
	if need > n {
		m.closeSet()
		m.setStart = len(m.buf)
		m.setID = id
		m.buf = binary.BigEndian.AppendUint16(m.buf, id)
		m.buf = append(m.buf, 0, 0)
	}
	end := len(m.buf) + n
	putRecord(m.buf[len(m.buf):end], r, enc)
	m.buf = m.buf[:end]
	m.records++
	return true
}

// closeSet writes the length of the open data set.
func (m *message) closeSet() {
	if m.setStart >= 0 {
		binary.BigEndian.PutUint16(m.buf[m.setStart+2:], uint16(len(m.buf)-m.setStart))
		m.setStart = -1
	}
}

// stamp writes the message header (RFC 7011 section 3.1) in front of b.
func stamp(b []byte, exportTime int64, seq, domain uint32) {
	be := binary.BigEndian
	be.PutUint16(b, 10)
	be.PutUint16(b[2:], uint16(len(b)))
	be.PutUint32(b[4:], uint32(exportTime))
	be.PutUint32(b[8:], seq)
	be.PutUint32(b[12:], domain)
}
