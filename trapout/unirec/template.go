package unirec

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MaxRecordSize is the largest record UniRec can carry: its size travels as a uint16.
const MaxRecordSize = 0xffff

// Field is one field of a template.
type Field struct {
	Name string
	Type Type
	// Offset is the byte offset of the field in the static part of a record: the
	// value itself for a static field, its 4-byte descriptor for a dynamic one.
	Offset int
}

// Template is an ordered set of fields in UniRec's canonical order, which is also
// the layout of every record built from it. A Template is immutable and safe for
// concurrent use.
type Template struct {
	fields     []Field
	index      map[string]int
	staticSize int
	firstDyn   int
	spec       string
}

// ParseTemplate parses the full template form "type NAME,type NAME,...", in any
// field order and with any extra whitespace around types, names and commas, and
// returns the template in canonical order. Repeating a field with the same type is
// allowed; repeating it with another type is an error.
func ParseTemplate(spec string) (*Template, error) {
	var fields []Field
	for part := range strings.SplitSeq(spec, ",") {
		f, err := parseFieldDef(part)
		if err != nil {
			return nil, fmt.Errorf("parse template %q: %w", abbreviate(spec), err)
		}
		fields = append(fields, f)
	}
	t, err := New(fields)
	if err != nil {
		return nil, fmt.Errorf("parse template %q: %w", abbreviate(spec), err)
	}
	return t, nil
}

// New builds a template from fields given in any order; their Offset is ignored
// and computed. Duplicates with the same type are dropped.
func New(fields []Field) (*Template, error) {
	if len(fields) == 0 {
		return nil, errors.New("template has no fields")
	}
	t := &Template{index: make(map[string]int, len(fields))}
	for _, f := range fields {
		if !validName(f.Name) {
			return nil, fmt.Errorf("invalid field name %q", f.Name)
		}
		if f.Type >= numTypes {
			return nil, fmt.Errorf("field %s: invalid type %d", f.Name, f.Type)
		}
		if i, ok := t.index[f.Name]; ok {
			if t.fields[i].Type != f.Type {
				return nil, fmt.Errorf("field %s defined as both %s and %s",
					f.Name, t.fields[i].Type, f.Type)
			}
			continue
		}
		t.index[f.Name] = len(t.fields)
		t.fields = append(t.fields, Field{Name: f.Name, Type: f.Type})
	}
	slices.SortFunc(t.fields, compareFields)

	t.firstDyn = len(t.fields)
	var spec strings.Builder
	for i := range t.fields {
		f := &t.fields[i]
		t.index[f.Name] = i
		f.Offset = t.staticSize
		if f.Type.Dynamic() {
			t.firstDyn = min(t.firstDyn, i)
			t.staticSize += 4
		} else {
			t.staticSize += f.Type.Size()
		}
		if i > 0 {
			spec.WriteByte(',')
		}
		spec.WriteString(f.Type.String())
		spec.WriteByte(' ')
		spec.WriteString(f.Name)
	}
	if t.staticSize > MaxRecordSize {
		return nil, fmt.Errorf("static part of %d bytes exceeds %d", t.staticSize, MaxRecordSize)
	}
	t.spec = spec.String()
	return t, nil
}

// compareFields is the C library's field order: size descending, dynamic types by
// their negative size, then names compared byte by byte.
func compareFields(a, b Field) int {
	if sa, sb := a.Type.Size(), b.Type.Size(); sa != sb {
		return sb - sa
	}
	return strings.Compare(a.Name, b.Name)
}

func parseFieldDef(def string) (Field, error) {
	words := strings.Fields(def)
	if len(words) != 2 {
		return Field{}, fmt.Errorf("field %q is not \"type NAME\"", strings.TrimSpace(def))
	}
	typ, err := ParseType(words[0])
	if err != nil {
		return Field{}, fmt.Errorf("field %s: %w", words[1], err)
	}
	if !validName(words[1]) {
		return Field{}, fmt.Errorf("invalid field name %q", words[1])
	}
	return Field{Name: words[1], Type: typ}, nil
}

// validName reports whether s matches [A-Za-z][A-Za-z0-9_]*.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alpha && (i == 0 || c != '_' && (c < '0' || c > '9')) {
			return false
		}
	}
	return true
}

// abbreviate keeps error messages readable when a template string is long.
func abbreviate(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// String returns the canonical template string: fields in canonical order, one space
// between type and name, commas without spaces. This is the string a TRAP hello
// carries and the one C receivers compare byte for byte.
func (t *Template) String() string { return t.spec }

// Len returns the number of fields.
func (t *Template) Len() int { return len(t.fields) }

// Field returns field i in canonical order.
func (t *Template) Field(i int) Field { return t.fields[i] }

// Fields returns a copy of the fields in canonical order.
func (t *Template) Fields() []Field { return slices.Clone(t.fields) }

// Index returns the position of the named field, or -1 when the template lacks it.
func (t *Template) Index(name string) int {
	if i, ok := t.index[name]; ok {
		return i
	}
	return -1
}

// StaticSize returns the size of the static part, which is also the size of a record
// whose dynamic fields are all empty.
func (t *Template) StaticSize() int { return t.staticSize }

// Has reports whether the template holds a field with this name and type.
func (t *Template) Has(name string, typ Type) bool {
	i := t.Index(name)
	return i >= 0 && t.fields[i].Type == typ
}

// Equal reports whether both templates hold the same fields.
func (t *Template) Equal(o *Template) bool { return t.spec == o.spec }

// Covers reports whether every field of o appears in t with the same type, the test a
// TRAP receiver applies to a sender's template.
func (t *Template) Covers(o *Template) bool {
	for _, f := range o.fields {
		if !t.Has(f.Name, f.Type) {
			return false
		}
	}
	return true
}
