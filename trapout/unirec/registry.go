package unirec

import (
	"fmt"
	"strings"
)

// Registry holds field definitions, like the C library's global field table, so that
// templates can be built from names alone ("SRC_IP,DST_IP,..."), the form ipfixprobe
// and NEMEA modules use. The zero value is empty and ready; it is not safe for
// concurrent use while fields are being defined.
type Registry struct {
	types map[string]Type
}

// Define adds the fields of a full template string ("type NAME,..."). Defining a
// name again with the same type is allowed; with another type it is an error and
// nothing of spec is defined.
func (r *Registry) Define(spec string) error {
	t, err := ParseTemplate(spec)
	if err != nil {
		return err
	}
	for _, f := range t.fields {
		if old, ok := r.types[f.Name]; ok && old != f.Type {
			return fmt.Errorf("define %s as %s: already defined as %s", f.Name, f.Type, old)
		}
	}
	if r.types == nil {
		r.types = make(map[string]Type)
	}
	for _, f := range t.fields {
		r.types[f.Name] = f.Type
	}
	return nil
}

// Template builds a template from a list of defined field names separated by commas
// and/or whitespace. Repeated names are dropped.
func (r *Registry) Template(names string) (*Template, error) {
	list := strings.FieldsFunc(names, func(c rune) bool {
		return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
	})
	fields := make([]Field, 0, len(list))
	for _, n := range list {
		typ, ok := r.types[n]
		if !ok {
			return nil, fmt.Errorf("build template: field %q is not defined", n)
		}
		fields = append(fields, Field{Name: n, Type: typ})
	}
	t, err := New(fields)
	if err != nil {
		return nil, fmt.Errorf("build template from %q: %w", abbreviate(names), err)
	}
	return t, nil
}
