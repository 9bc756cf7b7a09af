package ipfix

import (
	"encoding/binary"
	"fmt"
)

// This file holds a small IPFIX reader for the unit tests that run without the
// external decoders. It trusts nothing from the encoder: it learns the record layout
// from the template set on the wire.

// fieldKey names a template field by enterprise and element number.
type fieldKey struct {
	pen uint32
	id  uint16
}

type templateField struct {
	fieldKey
	length int
}

// decodedMessage is one message: its header and its data records, each a map from
// field to raw value.
type decodedMessage struct {
	length     int
	exportTime uint32
	seq        uint32
	domain     uint32
	templates  []uint16
	records    []map[fieldKey][]byte
	recordTIDs []uint16
}

// decodeStream reads consecutive messages, learning templates as they come.
func decodeStream(b []byte, templates map[uint16][]templateField) ([]decodedMessage, error) {
	var msgs []decodedMessage
	for off := 0; off < len(b); {
		if len(b)-off < headerLen {
			return msgs, fmt.Errorf("offset %d: %d bytes left, short of a header", off, len(b)-off)
		}
		n := int(binary.BigEndian.Uint16(b[off+2:]))
		if n < headerLen || off+n > len(b) {
			return msgs, fmt.Errorf("offset %d: message length %d out of range", off, n)
		}
		m, err := decodeMessage(b[off:off+n], templates)
		if err != nil {
			return msgs, fmt.Errorf("offset %d: %w", off, err)
		}
		msgs = append(msgs, m)
		off += n
	}
	return msgs, nil
}

func decodeMessage(b []byte, templates map[uint16][]templateField) (decodedMessage, error) {
	be := binary.BigEndian
	m := decodedMessage{length: len(b), exportTime: be.Uint32(b[4:]), seq: be.Uint32(b[8:]),
		domain: be.Uint32(b[12:])}
	if v := be.Uint16(b); v != 10 {
		return m, fmt.Errorf("version %d", v)
	}
	for off := headerLen; off < len(b); {
		if len(b)-off < setHeaderLen {
			return m, fmt.Errorf("set at %d: truncated header", off)
		}
		id, n := be.Uint16(b[off:]), int(be.Uint16(b[off+2:]))
		if n < setHeaderLen || off+n > len(b) {
			return m, fmt.Errorf("set at %d: length %d out of range", off, n)
		}
		body := b[off+setHeaderLen : off+n]
		var err error
		switch {
		case id == 2:
			err = m.readTemplates(body, templates)
		case id >= 256:
			err = m.readData(id, body, templates[id])
		default:
			err = fmt.Errorf("unexpected set id %d", id)
		}
		if err != nil {
			return m, fmt.Errorf("set at %d: %w", off, err)
		}
		off += n
	}
	return m, nil
}

func (m *decodedMessage) readTemplates(b []byte, templates map[uint16][]templateField) error {
	be := binary.BigEndian
	for len(b) >= 4 {
		id, count := be.Uint16(b), int(be.Uint16(b[2:]))
		b = b[4:]
		var fields []templateField
		for range count {
			if len(b) < 4 {
				return fmt.Errorf("template %d: truncated field", id)
			}
			f := templateField{fieldKey{id: be.Uint16(b) & 0x7fff}, int(be.Uint16(b[2:]))}
			enterprise := be.Uint16(b)&0x8000 != 0
			b = b[4:]
			if enterprise {
				if len(b) < 4 {
					return fmt.Errorf("template %d: truncated enterprise number", id)
				}
				f.pen = be.Uint32(b)
				b = b[4:]
			}
			fields = append(fields, f)
		}
		templates[id] = fields
		m.templates = append(m.templates, id)
	}
	if len(b) != 0 {
		return fmt.Errorf("%d trailing bytes after templates", len(b))
	}
	return nil
}

func (m *decodedMessage) readData(id uint16, b []byte, fields []templateField) error {
	if fields == nil {
		return fmt.Errorf("data set %d before its template", id)
	}
	size := 0
	for _, f := range fields {
		size += f.length
	}
	for len(b) >= size {
		rec := make(map[fieldKey][]byte, len(fields))
		for _, f := range fields {
			rec[f.fieldKey] = b[:f.length]
			b = b[f.length:]
		}
		m.records = append(m.records, rec)
		m.recordTIDs = append(m.recordTIDs, id)
	}
	if len(b) != 0 {
		return fmt.Errorf("data set %d: %d bytes of padding or a cut record", id, len(b))
	}
	return nil
}

// readUint reads an unsigned field of any length.
func readUint(rec map[fieldKey][]byte, pen uint32, id uint16) uint64 {
	var v uint64
	for _, c := range rec[fieldKey{pen, id}] {
		v = v<<8 | uint64(c)
	}
	return v
}
