// Command logreplay sends the records of a CSV file, as NEMEA's logger prints them,
// as UniRec over one TRAP output interface, byte for byte as NEMEA's logreplay does.
//
//	logreplay -i IFC -f FILE [-c N] [-n] [-d] [-v]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/flowprobe/flowprobe/trapout"
	"github.com/flowprobe/flowprobe/trapout/unirec"
)

const usage = `Usage: logreplay -i IFC -f FILE [options]

Reads a CSV file whose first line is a UniRec template ("type NAME,...", in any
order; a leading "time," column comes from logger -T) and sends one UniRec record
per line on one TRAP output interface, then the end-of-data message.

  -i IFC                 output interface, e.g. f:out.trapcap, u:mysocket, t:12345
  -f, --file FILE        the CSV file to read (required)
  -c, --cut N            stop after N lines of records (N > 0)
  -n, --no_eof           do not send the end-of-data message at the end
  -d, --disable_timing   ignore the time column instead of waiting between lines
  -v, -vv, -vvv          verbosity of the messages on standard error
  -h, --help             print this help

Lines with a value that does not parse are reported and skipped; a time that does
not parse is reported and sent as 0, as NEMEA's logreplay does.
`

type config struct {
	ifc       string
	file      string
	max       int
	noEOF     bool
	noTiming  bool
	verbosity int
}

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	cfg, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Print(usage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "logreplay: %v\nRun logreplay -h for help.\n", err)
		return 1
	}
	log := newLogger(stderr, cfg.verbosity)

	f, err := os.Open(cfg.file)
	if err != nil {
		fmt.Fprintf(stderr, "logreplay: %v\n", err)
		return 1
	}
	defer f.Close()
	in, err := unirec.NewCSVReader(f, cfg.file)
	if err != nil {
		fmt.Fprintf(stderr, "logreplay: %v\n", err)
		return 1
	}
	in.MaxRows = cfg.max
	in.Warn = func(err error) { log.Warn().Msg(err.Error()) }

	ctx, err := trapout.Open(cfg.ifc, 0, 1)
	if err != nil {
		fmt.Fprintf(stderr, "logreplay: %v\n", err)
		return 1
	}
	out := ctx.Output(0)
	out.SetTimeout(trapout.Wait)
	err = replay(in, out, cfg, stopOnSignal())
	if err == nil {
		err = ctx.Close()
	} else {
		ctx.Close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "logreplay: %v\n", err)
		return 1
	}
	log.Info().Int("skipped", in.Skipped()).Msg("done")
	return 0
}

// replay sends every record, pacing by the time column unless disabled, then the
// end-of-data message and a flush.
func replay(in *unirec.CSVReader, out *trapout.Output, cfg config, stop *atomic.Bool) error {
	if err := out.SetTemplate(in.Template()); err != nil {
		return err
	}
	var last time.Time
	for !stop.Load() {
		rec, err := in.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if cur := in.RowTime(); in.HasTimeColumn() && !cfg.noTiming && !cur.IsZero() {
			// Whole seconds between rows, as the C module sleeps.
			if !last.IsZero() && cur.Unix() > last.Unix() {
				time.Sleep(time.Duration(cur.Unix()-last.Unix()) * time.Second)
			}
			last = cur
		}
		if err := out.Send(rec); err != nil {
			return fmt.Errorf("send: %w", err)
		}
	}
	if !cfg.noEOF {
		if err := out.SendEOF(); err != nil {
			return fmt.Errorf("send end-of-data: %w", err)
		}
	}
	return out.Flush()
}

// stopOnSignal sets the returned flag at the first SIGINT or SIGTERM, so the replay
// ends with its end-of-data message; a second signal exits at once.
func stopOnSignal() *atomic.Bool {
	var stop atomic.Bool
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		stop.Store(true)
		<-sig
		os.Exit(1)
	}()
	return &stop
}

// newLogger logs warnings only, unless -v asked for more.
func newLogger(w io.Writer, verbosity int) zerolog.Logger {
	level := zerolog.WarnLevel - zerolog.Level(verbosity)
	cw := zerolog.ConsoleWriter{Out: w, NoColor: true, PartsExclude: []string{"time"}}
	return zerolog.New(cw).Level(level).With().Str("module", "logreplay").Logger()
}
