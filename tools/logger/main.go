// Command logger prints the UniRec records it receives on one TRAP input interface as
// CSV, byte for byte as NEMEA's logger module does, so that logreplay can send them
// again.
//
//	logger -i IFC [-t] [-T] [-c N] [-w FILE | -a FILE] [-d DELIM] [-v]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/flowprobe/flowprobe/trapout"
)

const usage = `Usage: logger -i IFC [options]

Receives UniRec records on one TRAP input interface and prints them as CSV, one
record per line, fields in the canonical order of their template.

  -i IFC         input interface, e.g. u:mysocket, t:localhost:12345, f:flows.trapcap
  -t, --title    print the template as a header line first
  -T, --time     prefix each line with the time it was received (UTC)
  -c, --cut N    stop after N records
  -w, --write F  write to file F instead of standard output (truncating it)
  -a, --append F append to file F instead of standard output
  -d, --delimiter X  field delimiter: one character, or \t \n \r \f \v (default ,)
  -v, -vv, -vvv  verbosity of the messages on standard error
  -h, --help     print this help
`

// config holds the parsed command line.
type config struct {
	ifc        string
	header     bool
	timePrefix bool
	max        int
	path       string
	appendTo   bool
	delim      byte
	verbosity  int
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "logger: %v\nRun logger -h for help.\n", err)
		return 1
	}
	log := newLogger(stderr, cfg.verbosity)

	out := stdout
	if cfg.path != "" {
		mode := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if cfg.appendTo {
			mode = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		f, err := os.OpenFile(cfg.path, mode, 0o666)
		if err != nil {
			fmt.Fprintf(stderr, "logger: %v\n", err)
			return 1
		}
		defer f.Close()
		out = f
	}

	ctx, err := trapout.Open(cfg.ifc, 1, 0)
	if err != nil {
		fmt.Fprintf(stderr, "logger: %v\n", err)
		return 1
	}
	defer ctx.Close()
	exitOnSignal(ctx)

	if err := receive(ctx.Input(0), out, cfg, log); err != nil {
		fmt.Fprintf(stderr, "logger: %v\n", err)
		return 1
	}
	return 0
}

// exitOnSignal ends the process at SIGINT or SIGTERM. Every line is already written
// with its own write call, so nothing is lost; closing the context first removes
// the service socket file.
func exitOnSignal(ctx *trapout.Context) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		ctx.Close()
		os.Exit(0)
	}()
}

// newLogger logs warnings only, unless -v asked for more.
func newLogger(w io.Writer, verbosity int) zerolog.Logger {
	level := zerolog.WarnLevel - zerolog.Level(verbosity)
	cw := zerolog.ConsoleWriter{Out: w, NoColor: true, PartsExclude: []string{"time"}}
	return zerolog.New(cw).Level(level).With().Str("module", "logger").Logger()
}
