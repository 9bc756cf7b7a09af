package trapout

import (
	"errors"
	"fmt"
)

// ErrNoIfcSpec is returned by ExtractIfcSpec when argv has no `-i`.
var ErrNoIfcSpec = errors.New("interface specifier (option -i) not found")

// ExtractIfcSpec finds the element "-i" in args, as libtrap does, and returns the
// element after it together with args without both. Only the exact element "-i"
// counts; there is no long form and no "-iSPEC". The remaining arguments keep their
// order, so the module can parse its own options from them.
func ExtractIfcSpec(args []string) (spec string, rest []string, err error) {
	for i, a := range args {
		if a != "-i" {
			continue
		}
		if i+1 >= len(args) {
			return "", args, fmt.Errorf("option -i: missing interface specifier")
		}
		rest = make([]string, 0, len(args)-2)
		rest = append(rest, args[:i]...)
		rest = append(rest, args[i+2:]...)
		return args[i+1], rest, nil
	}
	return "", args, ErrNoIfcSpec
}

// ExtractVerbosity removes the elements "-v", "-vv" and "-vvv" from args, as libtrap
// does, and returns the rest with how many v's the last of them had (0 without any).
func ExtractVerbosity(args []string) (rest []string, level int) {
	rest = make([]string, 0, len(args))
	for _, a := range args {
		switch a {
		case "-v", "-vv", "-vvv":
			level = len(a) - 1
		default:
			rest = append(rest, a)
		}
	}
	return rest, level
}
