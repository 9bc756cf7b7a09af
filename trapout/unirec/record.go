package unirec

import (
	"encoding/binary"
	"math"
	"net/netip"
)

// The accessors below read and write the static fields of a record []byte laid out
// by this template. Field i is an index in canonical order (see Index). They never
// allocate. The caller picks the accessor that matches the field's type: an accessor
// of another width reads or writes bytes of the neighbouring fields, and rec must
// hold at least StaticSize bytes, or the accessor panics like any out-of-range slice.

var le = binary.LittleEndian

// NewRecord returns a zeroed record of StaticSize bytes with room to grow to
// MaxRecordSize, so that setting dynamic fields never allocates.
func (t *Template) NewRecord() []byte {
	return make([]byte, t.staticSize, MaxRecordSize)
}

// Reset zeroes the static part of rec, drops its dynamic data and returns it, ready to
// build the next record in the same memory.
func (t *Template) Reset(rec []byte) []byte {
	rec = rec[:t.staticSize]
	clear(rec)
	return rec
}

// Static returns the bytes of static field i inside rec.
func (t *Template) Static(rec []byte, i int) []byte {
	f := &t.fields[i]
	return rec[f.Offset : f.Offset+f.Type.Size()]
}

// Uint8 returns the uint8 (or char) field i.
func (t *Template) Uint8(rec []byte, i int) uint8 { return rec[t.fields[i].Offset] }

// SetUint8 stores v in the uint8 (or char) field i.
func (t *Template) SetUint8(rec []byte, i int, v uint8) { rec[t.fields[i].Offset] = v }

// Uint16 returns the uint16 field i.
func (t *Template) Uint16(rec []byte, i int) uint16 { return le.Uint16(rec[t.fields[i].Offset:]) }

// SetUint16 stores v in the uint16 field i.
func (t *Template) SetUint16(rec []byte, i int, v uint16) {
	le.PutUint16(rec[t.fields[i].Offset:], v)
}

// Uint32 returns the uint32 field i.
func (t *Template) Uint32(rec []byte, i int) uint32 { return le.Uint32(rec[t.fields[i].Offset:]) }

// SetUint32 stores v in the uint32 field i.
func (t *Template) SetUint32(rec []byte, i int, v uint32) {
	le.PutUint32(rec[t.fields[i].Offset:], v)
}

// Uint64 returns the uint64 field i.
func (t *Template) Uint64(rec []byte, i int) uint64 { return le.Uint64(rec[t.fields[i].Offset:]) }

// SetUint64 stores v in the uint64 field i.
func (t *Template) SetUint64(rec []byte, i int, v uint64) {
	le.PutUint64(rec[t.fields[i].Offset:], v)
}

// Int8 returns the int8 field i.
func (t *Template) Int8(rec []byte, i int) int8 { return int8(t.Uint8(rec, i)) }

// SetInt8 stores v in the int8 field i.
func (t *Template) SetInt8(rec []byte, i int, v int8) { t.SetUint8(rec, i, uint8(v)) }

// Int16 returns the int16 field i.
func (t *Template) Int16(rec []byte, i int) int16 { return int16(t.Uint16(rec, i)) }

// SetInt16 stores v in the int16 field i.
func (t *Template) SetInt16(rec []byte, i int, v int16) { t.SetUint16(rec, i, uint16(v)) }

// Int32 returns the int32 field i.
func (t *Template) Int32(rec []byte, i int) int32 { return int32(t.Uint32(rec, i)) }

// SetInt32 stores v in the int32 field i.
func (t *Template) SetInt32(rec []byte, i int, v int32) { t.SetUint32(rec, i, uint32(v)) }

// Int64 returns the int64 field i.
func (t *Template) Int64(rec []byte, i int) int64 { return int64(t.Uint64(rec, i)) }

// SetInt64 stores v in the int64 field i.
func (t *Template) SetInt64(rec []byte, i int, v int64) { t.SetUint64(rec, i, uint64(v)) }

// Float32 returns the float field i.
func (t *Template) Float32(rec []byte, i int) float32 {
	return math.Float32frombits(t.Uint32(rec, i))
}

// SetFloat32 stores v in the float field i.
func (t *Template) SetFloat32(rec []byte, i int, v float32) {
	t.SetUint32(rec, i, math.Float32bits(v))
}

// Float64 returns the double field i.
func (t *Template) Float64(rec []byte, i int) float64 {
	return math.Float64frombits(t.Uint64(rec, i))
}

// SetFloat64 stores v in the double field i.
func (t *Template) SetFloat64(rec []byte, i int, v float64) {
	t.SetUint64(rec, i, math.Float64bits(v))
}

// IP returns the ipaddr field i; see DecodeIP for how IPv4 is told from IPv6.
func (t *Template) IP(rec []byte, i int) netip.Addr {
	return DecodeIP([16]byte(rec[t.fields[i].Offset:]))
}

// SetIP stores a in the ipaddr field i; see EncodeIP.
func (t *Template) SetIP(rec []byte, i int, a netip.Addr) {
	b := EncodeIP(a)
	copy(rec[t.fields[i].Offset:], b[:])
}

// MAC returns the macaddr field i.
func (t *Template) MAC(rec []byte, i int) [6]byte { return [6]byte(rec[t.fields[i].Offset:]) }

// SetMAC stores m in the macaddr field i.
func (t *Template) SetMAC(rec []byte, i int, m [6]byte) { copy(rec[t.fields[i].Offset:], m[:]) }

// Time returns the time field i.
func (t *Template) Time(rec []byte, i int) Time { return Time(t.Uint64(rec, i)) }

// SetTime stores v in the time field i.
func (t *Template) SetTime(rec []byte, i int, v Time) { t.SetUint64(rec, i, uint64(v)) }
