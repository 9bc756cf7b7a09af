// Command traffic_repeater forwards every message of one TRAP input interface to one
// TRAP output interface, announcing the input's data format on the output, as
// NEMEA's traffic_repeater does.
//
//	traffic_repeater -i IN,OUT [-v]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/flowprobe/flowprobe/trapout"
)

const usage = `Usage: traffic_repeater -i IN,OUT

Receives messages on the input interface IN and sends each of them, unchanged, on
the output interface OUT, until the end-of-data message, which it forwards too. The
output announces whatever data format the input negotiated.

  -i IN,OUT      e.g. f:flows.trapcap,u:mysocket
  -v, -vv, -vvv  accepted for NEMEA compatibility
  -h, --help     print this help
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	spec, _, rest, err := trapout.ModuleArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q", rest[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "traffic_repeater: %v\nRun traffic_repeater -h for help.\n", err)
		return 1
	}

	ctx, err := trapout.Open(spec, 1, 1)
	if err != nil {
		fmt.Fprintf(stderr, "traffic_repeater: %v\n", err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		ctx.Close()
		os.Exit(0)
	}()

	err = repeat(ctx.Input(0), ctx.Output(0))
	if cerr := ctx.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "traffic_repeater: %v\n", err)
		return 1
	}
	return 0
}

// repeat forwards messages until the end-of-data message, which it forwards as well.
func repeat(in *trapout.Input, out *trapout.Output) error {
	in.SetRequired("") // accept any UniRec template and pass it on
	for {
		msg, err := in.Recv()
		var changed *trapout.FormatChangedError
		switch {
		case errors.As(err, &changed):
			if err := out.SetDataFormat(changed.Type, changed.Template); err != nil {
				return err
			}
			continue
		case err == io.EOF:
			if err := out.SendEOF(); err != nil {
				return fmt.Errorf("forward end-of-data: %w", err)
			}
			return out.Flush()
		case errors.Is(err, trapout.ErrTimeout):
			continue
		case err != nil:
			return fmt.Errorf("receive: %w", err)
		}
		if err := out.Send(msg); err != nil {
			return fmt.Errorf("send: %w", err)
		}
	}
}
