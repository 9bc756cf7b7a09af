package trapout

import (
	"errors"
	"flag"
	"fmt"
	"slices"
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

// ModuleArgs reads a NEMEA module's command line as libtrap's modules do: -h or
// --help anywhere asks for help (flag.ErrHelp, before anything else is looked at);
// then "-i SPEC" (ExtractIfcSpec) and -v, -vv or -vvv (ExtractVerbosity) are taken out.
// rest holds the module's own arguments in their order. Without -i, err is
// ErrNoIfcSpec and rest and verbosity are still filled in, for a module with a
// default interface.
func ModuleArgs(args []string) (spec string, verbosity int, rest []string, err error) {
	if slices.Contains(args, "-h") || slices.Contains(args, "--help") {
		return "", 0, nil, flag.ErrHelp
	}
	spec, rest, err = ExtractIfcSpec(args)
	rest, verbosity = ExtractVerbosity(rest)
	return spec, verbosity, rest, err
}
