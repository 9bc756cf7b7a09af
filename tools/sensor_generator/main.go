// Command sensor_generator is the NEMEA tutorial's Z-Wave sensor generator written
// with the trapout module API: every interval it sends one UniRec record
// "uint32 GW_ID,int32 SOAFCount,int32 TIME" with the gateway's ID, its running count
// of SOF acknowledgement failures and the current Unix time. It is meant to be read
// as an example of a NEMEA module in Go.
//
//	sensor_generator [-i IFC] [-n COUNT] [-s INTERVAL] [-g GW_ID]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/flowprobe/flowprobe/trapout"
	"github.com/flowprobe/flowprobe/trapout/unirec"
)

const usage = `Usage: sensor_generator [-i IFC] [options]

Sends one UniRec record "uint32 GW_ID,int32 SOAFCount,int32 TIME" per interval, like
the NEMEA tutorial's zwave-generator.py, then the end-of-data message.

  -i IFC               output interface (default u:mysocket)
  -n, --count N        send N records and stop (default 0: until interrupted)
  -s, --interval D     time between records, e.g. 5s or 200ms (default 5s)
  -g, --gateway ID     the gateway ID to report (default 1101)
  -h, --help           print this help
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	spec, rest, err := trapout.ExtractIfcSpec(args)
	if errors.Is(err, trapout.ErrNoIfcSpec) {
		spec, err = "u:mysocket", nil // the tutorial's socket
	}
	fs := flag.NewFlagSet("sensor_generator", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	count := fs.Int("n", 0, "")
	fs.IntVar(count, "count", 0, "")
	interval := fs.Duration("s", 5*time.Second, "")
	fs.DurationVar(interval, "interval", 5*time.Second, "")
	gateway := fs.Uint("g", 1101, "")
	fs.UintVar(gateway, "gateway", 1101, "")
	if err == nil {
		err = fs.Parse(rest)
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err == nil && (*count < 0 || *interval <= 0 || *gateway > 1<<32-1 || fs.NArg() > 0) {
		err = errors.New("bad option value or extra argument")
	}
	if err != nil {
		fmt.Fprintf(stderr, "sensor_generator: %v\nRun sensor_generator -h for help.\n", err)
		return 1
	}
	if err := generate(spec, *count, *interval, uint32(*gateway)); err != nil {
		fmt.Fprintf(stderr, "sensor_generator: %v\n", err)
		return 1
	}
	return 0
}

// generate opens the output, sends the records and closes the output, which hands
// everything to the receivers before it returns.
func generate(spec string, count int, interval time.Duration, gateway uint32) error {
	ctx, err := trapout.Open(spec, 0, 1)
	if err != nil {
		return err
	}
	err = send(ctx.Output(0), count, interval, gateway)
	if cerr := ctx.Close(); err == nil {
		err = cerr
	}
	return err
}

// send announces the template, sends a record per interval until count records were
// sent or a signal came, then the end-of-data message.
func send(out *trapout.Output, count int, interval time.Duration, gateway uint32) error {
	tmpl, err := unirec.ParseTemplate("uint32 GW_ID,int32 SOAFCount,int32 TIME")
	if err != nil {
		return err
	}
	if err := out.SetTemplate(tmpl); err != nil {
		return err
	}
	gwID, soaf, now := tmpl.Index("GW_ID"), tmpl.Index("SOAFCount"), tmpl.Index("TIME")

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	tick := time.NewTicker(interval)
	defer tick.Stop()

	rec := tmpl.NewRecord()
	failures := int32(30 + rand.IntN(10)) // a gateway that has seen some failures
	for sent := 0; count == 0 || sent < count; sent++ {
		if sent > 0 {
			select {
			case <-tick.C:
			case <-stop:
				return out.SendEOF()
			}
		}
		if rand.IntN(10) == 0 {
			failures++ // now and then another acknowledgement fails
		}
		tmpl.SetUint32(rec, gwID, gateway)
		tmpl.SetInt32(rec, soaf, failures)
		tmpl.SetInt32(rec, now, int32(time.Now().Unix()))
		if err := out.Send(rec); err != nil {
			return err
		}
		if err := out.Flush(); err != nil { // one record per interval: deliver it now
			return err
		}
	}
	return out.SendEOF()
}
