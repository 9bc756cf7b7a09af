package ifc

import (
	"fmt"
	"strings"
)

// Parse splits an interface specifier into its interfaces and parses each one.
// The first inputs interfaces are inputs, the next outputs are outputs, and the total
// must match exactly. A negative count takes whatever the other count leaves over.
// An error names the interface (by position and text) and the part that was wrong.
func Parse(spec string, inputs, outputs int) ([]Spec, error) {
	if spec == "" {
		return nil, fmt.Errorf("parse interface specifier: empty")
	}
	parts := strings.Split(spec, ",")
	switch {
	case inputs < 0 && outputs < 0:
		return nil, fmt.Errorf("parse interface specifier: both counts are negative")
	case inputs < 0:
		inputs = len(parts) - outputs
	case outputs < 0:
		outputs = len(parts) - inputs
	}
	if inputs < 0 || outputs < 0 || len(parts) != inputs+outputs {
		return nil, fmt.Errorf("parse interface specifier %q: bad number of IFCs: got %d, "+
			"want %d inputs then %d outputs", spec, len(parts), inputs, outputs)
	}
	specs := make([]Spec, len(parts))
	for i, p := range parts {
		s, err := parseOne(p, i < inputs)
		if err != nil {
			return nil, fmt.Errorf("parse interface specifier: IFC %d %q: %w", i, p, err)
		}
		s.Index = i
		if i >= inputs {
			s.Index = i - inputs
		}
		specs[i] = s
	}
	return specs, nil
}

// parseOne parses one interface: its type character, then the setters, then the
// parameters of its type.
func parseOne(text string, input bool) (Spec, error) {
	s := Spec{
		Input:       input,
		Timeout:     Wait,
		Buffered:    true,
		Autoflush:   DefaultAutoflush,
		MaxClients:  DefaultMaxClients,
		BufferCount: DefaultBufferCount,
		BufferSize:  DefaultBufferSize,
	}
	if text == "" {
		return s, fmt.Errorf("empty interface")
	}
	s.Kind = Kind(text[0])
	params := text[1:]
	if params != "" {
		if params[0] != ':' {
			return s, fmt.Errorf("type %q must be followed by ':'", text[:1])
		}
		params = params[1:]
	}
	if err := checkKind(s.Kind, input); err != nil {
		return s, err
	}
	params, err := applySetters(&s, params)
	if err != nil {
		return s, err
	}
	s.Params = params
	switch s.Kind {
	case TCP:
		err = parseTCP(&s, splitParams(params))
	case UNIX:
		err = parseUNIX(&s, splitParams(params))
	case TLS:
		err = parseTLS(&s, splitParams(params))
	case File:
		if params == "" {
			err = fmt.Errorf("file interface needs a path")
		}
	case Blackhole:
		if params != "" {
			err = fmt.Errorf("blackhole interface takes no parameters, got %q", params)
		}
	}
	return s, err
}

func checkKind(k Kind, input bool) error {
	switch k {
	case TCP, UNIX, TLS, File:
		return nil
	case Blackhole:
		if input {
			return fmt.Errorf("blackhole interface 'b' can only be an output")
		}
		return nil
	case 'g':
		return fmt.Errorf("generator interface 'g' is not supported: libtrap's own " +
			"implementation writes its length in host order but reads it big-endian " +
			"and never negotiates a format, so it cannot work")
	case 's':
		return fmt.Errorf("interface type 's' has no implementation in libtrap either")
	}
	return fmt.Errorf("unsupported interface type %q (want one of t u T f b)", string(k))
}

// splitParams splits a parameter string on ':'; an empty string has no parameters.
func splitParams(params string) []string {
	if params == "" {
		return nil
	}
	return strings.Split(params, ":")
}
