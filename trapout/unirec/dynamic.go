package unirec

import (
	"fmt"
)

// Var returns the data of dynamic field i inside rec (a string, bytes, or the
// concatenated little-endian elements of an array). It returns nil when the field's
// descriptor points outside rec; Validate reports that as an error.
func (t *Template) Var(rec []byte, i int) []byte {
	off, n := t.descriptor(rec, i)
	start := t.staticSize + off
	if start+n > len(rec) {
		return nil
	}
	return rec[start : start+n : start+n]
}

// SetVar stores data in dynamic field i and returns the record, whose length changes
// by the difference in the field's length. It keeps the variable part contiguous and
// in canonical order whatever order fields are set in, as the C writer does, so the
// bytes equal those of C. rec must already have that layout (records from NewRecord,
// Reset, SetVar and the C library do). It allocates only when rec lacks capacity.
func (t *Template) SetVar(rec []byte, i int, data []byte) ([]byte, error) {
	off, old := t.descriptor(rec, i)
	varLen := len(rec) - t.staticSize
	if off+old > varLen {
		return rec, fmt.Errorf("set %s: descriptor %d+%d is outside the %d variable bytes",
			t.fields[i].Name, off, old, varLen)
	}
	size := len(rec) - old + len(data)
	if size > MaxRecordSize {
		return rec, fmt.Errorf("set %s: record would be %d bytes, more than %d",
			t.fields[i].Name, size, MaxRecordSize)
	}

	tailFrom := t.staticSize + off + old
	tailTo := t.staticSize + off + len(data)
	if size > cap(rec) {
		grown := make([]byte, len(rec), MaxRecordSize)
		copy(grown, rec)
		rec = grown
	}
	oldLen := len(rec)
	rec = rec[:size]
	copy(rec[tailTo:], rec[tailFrom:oldLen])
	copy(rec[t.staticSize+off:], data)

	t.putDescriptor(rec, i, off, len(data))
	next := off + len(data)
	for j := i + 1; j < len(t.fields); j++ {
		_, n := t.descriptor(rec, j)
		t.putDescriptor(rec, j, next, n)
		next += n
	}
	return rec, nil
}

// Validate checks that rec is a record of this template: at least StaticSize bytes,
// and every dynamic field inside the record. Records from the wire must pass it before
// Var is trusted.
func (t *Template) Validate(rec []byte) error {
	if len(rec) < t.staticSize {
		return fmt.Errorf("record of %d bytes is shorter than the %d-byte static part",
			len(rec), t.staticSize)
	}
	for i := t.firstDyn; i < len(t.fields); i++ {
		off, n := t.descriptor(rec, i)
		if t.staticSize+off+n > len(rec) {
			return fmt.Errorf("field %s: data at %d+%d is outside the %d-byte record",
				t.fields[i].Name, t.staticSize+off, n, len(rec))
		}
	}
	return nil
}

// FirstDynamic returns the index of the first dynamic field, or Len() when the
// template has none; dynamic fields always follow the static ones.
func (t *Template) FirstDynamic() int { return t.firstDyn }

func (t *Template) descriptor(rec []byte, i int) (off, n int) {
	p := rec[t.fields[i].Offset:]
	return int(le.Uint16(p)), int(le.Uint16(p[2:]))
}

func (t *Template) putDescriptor(rec []byte, i, off, n int) {
	p := rec[t.fields[i].Offset:]
	le.PutUint16(p, uint16(off))
	le.PutUint16(p[2:], uint16(n))
}
