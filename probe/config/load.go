package config

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Error is a mistake in a configuration file. Line is 0 when the mistake is not tied
// to one line (an unreadable file).
type Error struct {
	File string
	Line int
	Key  string // dotted path such as "cache.active_timeout"; empty for the file
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		b.WriteString(": ")
		b.WriteString(e.Key)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// maxFileSize bounds what Load reads, so that a wrong path such as /dev/zero fails
// instead of filling memory.
const maxFileSize = 1 << 20

// Load reads the file at path over Default. See Parse.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, &Error{File: path, Err: fmt.Errorf("larger than %d bytes", maxFileSize)}
	}
	return Parse(data, path)
}

// Parse reads a configuration from data over Default and checks it; name is the file
// name used in errors. The error, an *Error, names the first mistake found.
func Parse(data []byte, name string) (*Config, error) {
	c := Default()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: name, Err: fmt.Errorf("not valid YAML: %w", err)}
	}
	d := decoder{file: name, lines: map[string]int{}}
	if len(doc.Content) > 0 {
		if err := d.mapping(doc.Content[0], reflect.ValueOf(&c).Elem(), ""); err != nil {
			return nil, err
		}
	}
	if err := d.check(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

// decoder walks the YAML node tree into a Config, remembering the line of every key
// so that checks made after decoding can still point at the line.
type decoder struct {
	file  string
	lines map[string]int
}

func (d *decoder) errorf(line int, key, format string, a ...any) error {
	return &Error{File: d.file, Line: line, Key: key, Err: fmt.Errorf(format, a...)}
}

// line returns the line of key, or of the nearest section that holds it.
func (d *decoder) line(key string) int {
	for key != "" {
		if l, ok := d.lines[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

var durationType = reflect.TypeFor[time.Duration]()

// mapping decodes a YAML mapping into the struct v, refusing unknown keys.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) error {
	n = resolve(n)
	if isNull(n) {
		return nil // an empty section keeps its defaults
	}
	if n.Kind != yaml.MappingNode {
		return d.errorf(n.Line, path, "want a mapping of keys, got %s", describe(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		if path != "" {
			key = path + "." + k.Value
		}
		if first, dup := d.lines[key]; dup {
			return d.errorf(k.Line, key, "given twice (first on line %d)", first)
		}
		field, ok := fieldByKey(v.Type(), k.Value)
		if !ok {
			return d.errorf(k.Line, key, "unknown key (known here: %s)",
				strings.Join(keys(v.Type()), ", "))
		}
		d.lines[key] = k.Line
		fv := v.FieldByIndex(field.Index)
		var err error
		if fv.Kind() == reflect.Struct {
			err = d.mapping(val, fv, key)
		} else {
			err = d.value(resolve(val), fv, key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// value decodes one scalar or list of scalars into v.
func (d *decoder) value(n *yaml.Node, v reflect.Value, key string) error {
	if v.Kind() == reflect.Slice {
		return d.list(n, v, key)
	}
	if n.Kind != yaml.ScalarNode {
		return d.errorf(n.Line, key, "want a single value, got %s", describe(n))
	}
	switch {
	case v.Type() == durationType:
		if n.Tag != "!!str" {
			return d.errorf(n.Line, key, "want a duration with a unit, like 30s or 5m, "+
				"got %q", n.Value)
		}
		t, err := time.ParseDuration(n.Value)
		if err != nil {
			return d.errorf(n.Line, key, "want a duration like 30s or 5m, got %q", n.Value)
		}
		v.SetInt(int64(t))
	case v.Kind() == reflect.String:
		if !isNull(n) {
			v.SetString(n.Value)
		}
	case v.Kind() == reflect.Bool:
		var b bool
		if n.Tag != "!!bool" || n.Decode(&b) != nil {
			return d.errorf(n.Line, key, "want true or false, got %q", n.Value)
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int:
		var i int64
		if n.Tag != "!!int" || n.Decode(&i) != nil {
			return d.errorf(n.Line, key, "want a whole number, got %q", n.Value)
		}
		v.SetInt(i)
	case v.Kind() == reflect.Uint32:
		var i int64
		if n.Tag != "!!int" || n.Decode(&i) != nil || i < 0 || i > 1<<32-1 {
			return d.errorf(n.Line, key, "want a whole number from 0 to 4294967295, "+
				"got %q", n.Value)
		}
		v.SetUint(uint64(i))
	default:
		return d.errorf(n.Line, key, "no decoder for %s", v.Type())
	}
	return nil
}

// list decodes a sequence of strings; a single string counts as a list of one, and
// null as the empty list, which clears the default.
func (d *decoder) list(n *yaml.Node, v reflect.Value, key string) error {
	var items []*yaml.Node
	switch {
	case isNull(n):
	case n.Kind == yaml.ScalarNode:
		items = []*yaml.Node{n}
	case n.Kind == yaml.SequenceNode:
		items = n.Content
	default:
		return d.errorf(n.Line, key, "want a list of strings, got %s", describe(n))
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		it = resolve(it)
		item := fmt.Sprintf("%s[%d]", key, i)
		if it.Kind != yaml.ScalarNode || isNull(it) {
			return d.errorf(it.Line, item, "want a string, got %s", describe(it))
		}
		d.lines[item] = it.Line
		out = append(out, it.Value)
	}
	v.Set(reflect.ValueOf(out))
	return nil
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); f.Tag.Get("yaml") == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func keys(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if k := t.Field(i).Tag.Get("yaml"); k != "" {
			out = append(out, k)
		}
	}
	return out
}
