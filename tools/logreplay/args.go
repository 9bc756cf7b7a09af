package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/flowprobe/flowprobe/trapout"
)

// parseArgs reads the command line as a NEMEA module does: -h or --help anywhere asks
// for help, -i IFC and -v/-vv/-vvv are taken out first, then the module's own options.
func parseArgs(args []string) (config, error) {
	var cfg config
	var rest []string
	var err error
	cfg.ifc, cfg.verbosity, rest, err = trapout.ModuleArgs(args)
	if err != nil {
		return cfg, err
	}

	fs := flag.NewFlagSet("logreplay", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cut := -1
	for _, name := range []string{"f", "file"} {
		fs.StringVar(&cfg.file, name, "", "")
	}
	for _, name := range []string{"c", "cut"} {
		fs.IntVar(&cut, name, -1, "")
	}
	for _, name := range []string{"n", "no_eof"} {
		fs.BoolVar(&cfg.noEOF, name, false, "")
	}
	for _, name := range []string{"d", "disable_timing"} {
		fs.BoolVar(&cfg.noTiming, name, false, "")
	}
	if err := fs.Parse(rest); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if cfg.file == "" {
		return cfg, errors.New("missing option -f with the input file")
	}
	if cut == 0 || cut < -1 {
		return cfg, fmt.Errorf("option -c: %d is not an integer > 0", cut)
	}
	cfg.max = max(cut, 0)
	return cfg, nil
}
