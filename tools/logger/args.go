package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/flowprobe/flowprobe/trapout"
)

// parseArgs reads the command line as a NEMEA module does: -h or --help anywhere asks
// for help, -i IFC and -v/-vv/-vvv are taken out first, then the module's own options.
func parseArgs(args []string) (config, error) {
	cfg := config{delim: ','}
	var rest []string
	var err error
	cfg.ifc, cfg.verbosity, rest, err = trapout.ModuleArgs(args)
	if err != nil {
		return cfg, err
	}

	fs := flag.NewFlagSet("logger", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var write, appendTo, delim string
	for _, name := range []string{"t", "title"} {
		fs.BoolVar(&cfg.header, name, false, "")
	}
	for _, name := range []string{"T", "time"} {
		fs.BoolVar(&cfg.timePrefix, name, false, "")
	}
	for _, name := range []string{"c", "cut"} {
		fs.IntVar(&cfg.max, name, 0, "")
	}
	for _, name := range []string{"w", "write"} {
		fs.StringVar(&write, name, "", "")
	}
	for _, name := range []string{"a", "append"} {
		fs.StringVar(&appendTo, name, "", "")
	}
	for _, name := range []string{"d", "delimiter"} {
		fs.StringVar(&delim, name, ",", "")
	}
	if err := fs.Parse(rest); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if cfg.max < 0 {
		return cfg, fmt.Errorf("option -c: %d is negative", cfg.max)
	}
	if write != "" && appendTo != "" {
		return cfg, fmt.Errorf("options -w and -a exclude each other")
	}
	cfg.path = write + appendTo
	cfg.appendTo = appendTo != ""
	if cfg.delim, err = parseDelimiter(delim); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// parseDelimiter accepts one character or one of the escapes \t \n \r \f \v.
func parseDelimiter(s string) (byte, error) {
	if len(s) == 1 {
		return s[0], nil
	}
	if len(s) == 2 && s[0] == '\\' {
		if unq, err := strconv.Unquote(`"` + s + `"`); err == nil && len(unq) == 1 &&
			(s[1] == 't' || s[1] == 'n' || s[1] == 'r' || s[1] == 'f' || s[1] == 'v') {
			return unq[0], nil
		}
	}
	return 0, fmt.Errorf("option -d: %q is not one character or \\t \\n \\r \\f \\v", s)
}
