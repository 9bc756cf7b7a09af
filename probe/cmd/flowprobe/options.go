package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowprobe/flowprobe/exporter/text"
	"github.com/flowprobe/flowprobe/probe/flowcache"
)

// options is the parsed command line.
type options struct {
	iface, trace, mode, filter string
	workers                    int
	promiscuous                bool

	trap     []string
	ipfix    []string
	udp      bool
	ipfixMs  bool
	odid     uint
	text     []textOutput
	noEOF    bool
	active   time.Duration
	inactive time.Duration
	finWait  time.Duration
	cache    int
	split    bool
	decap    bool

	verbosity int
	version   bool
}

// textOutput is one -o value: a format and a file ("" for standard output).
type textOutput struct {
	format text.Format
	path   string
}

// usageErr is a command-line mistake, which exits with exitUsage.
type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }

func usageError(format string, a ...any) error {
	return &usageErr{msg: fmt.Sprintf(format, a...)}
}

// listFlag collects every use of a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// countFlag counts how often a boolean flag is given (-v -v).
type countFlag int

func (c *countFlag) String() string   { return strconv.Itoa(int(*c)) }
func (c *countFlag) IsBoolFlag() bool { return true }
func (c *countFlag) Set(s string) error {
	on, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	if on {
		*c++
	}
	return nil
}

// parseTimeouts reads flow_meter's -t ACTIVE:INACTIVE, in seconds.
func parseTimeouts(s string, o *options) error {
	a, i, ok := strings.Cut(s, ":")
	if !ok {
		return fmt.Errorf("want ACTIVE:INACTIVE in seconds, like 300:30")
	}
	for _, f := range []struct {
		text string
		dst  *time.Duration
		name string
	}{{a, &o.active, "active"}, {i, &o.inactive, "inactive"}} {
		v, err := strconv.ParseFloat(f.text, 64)
		if err != nil || v <= 0 {
			return fmt.Errorf("%s timeout %q is not a positive number of seconds",
				f.name, f.text)
		}
		*f.dst = time.Duration(v * float64(time.Second))
	}
	return nil
}

// parseTextOutput reads -o FORMAT[:FILE].
func parseTextOutput(s string) (textOutput, error) {
	name, path, _ := strings.Cut(s, ":")
	f, err := text.ParseFormat(name)
	if err != nil {
		return textOutput{}, err
	}
	return textOutput{format: f, path: path}, nil
}

// newFlagSet defines the flags; it prints nothing, run reports errors and help.
func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("flowprobe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}

	fs.StringVar(&o.iface, "I", "", "")
	fs.StringVar(&o.trace, "r", "", "")
	fs.StringVar(&o.mode, "mode", "afpacket", "")
	fs.IntVar(&o.workers, "w", 1, "")
	fs.StringVar(&o.filter, "f", "", "")
	fs.BoolVar(&o.promiscuous, "promisc", false, "")
	fs.Var((*listFlag)(&o.trap), "i", "")
	fs.Var((*listFlag)(&o.ipfix), "x", "")
	fs.BoolVar(&o.udp, "u", false, "")
	fs.BoolVar(&o.ipfixMs, "ipfix-ms", false, "")
	fs.UintVar(&o.odid, "O", 0, "")
	fs.BoolVar(&o.noEOF, "no-eof", false, "")
	fs.Func("o", "", func(s string) error {
		t, err := parseTextOutput(s)
		o.text = append(o.text, t)
		return err
	})
	fs.Func("t", "", func(s string) error { return parseTimeouts(s, o) })
	fs.DurationVar(&o.active, "active", flowcache.DefaultActiveTimeout, "")
	fs.DurationVar(&o.inactive, "inactive", flowcache.DefaultInactiveTimeout, "")
	fs.DurationVar(&o.finWait, "fin-wait", flowcache.DefaultFINWait, "")
	fs.IntVar(&o.cache, "s", flowcache.DefaultCapacity, "")
	fs.BoolVar(&o.split, "split", false, "")
	fs.BoolVar(&o.decap, "decap", false, "")
	fs.Var((*countFlag)(&o.verbosity), "v", "")
	fs.BoolVar(&o.version, "version", false, "")
	fs.BoolVar(&o.version, "V", false, "")
	return fs
}

// parseArgs parses and checks the command line. -h gives flag.ErrHelp.
func parseArgs(args []string) (*options, error) {
	o := &options{}
	fs := newFlagSet(o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError("%v", err)
	}
	if fs.NArg() > 0 {
		return nil, usageError("unexpected argument %q", fs.Arg(0))
	}
	if o.version {
		return o, nil
	}
	switch {
	case o.iface == "" && o.trace == "":
		return nil, usageError("no input: give -I INTERFACE or -r FILE")
	case o.iface != "" && o.trace != "":
		return nil, usageError("-I and -r exclude each other")
	case o.iface != "" && !slices.Contains(liveModes, o.mode):
		return nil, usageError("--mode %q is not supported (available: %s)", o.mode,
			strings.Join(liveModes, ", "))
	case o.mode != "afpacket" && (o.filter != "" || o.workers != 1 || o.promiscuous):
		return nil, usageError("-f, -w and --promisc apply to --mode afpacket only")
	case o.active <= 0 || o.inactive <= 0 || o.finWait < 0:
		return nil, usageError("timeouts must be positive (active %v, inactive %v, "+
			"fin wait %v)", o.active, o.inactive, o.finWait)
	case max(o.active, o.inactive, o.finWait) > flowcache.MaxTimeout:
		return nil, usageError("timeouts must be at most %v (active %v, inactive %v, "+
			"fin wait %v)", flowcache.MaxTimeout, o.active, o.inactive, o.finWait)
	case o.cache < flowcache.Ways || o.cache > 1<<30:
		return nil, usageError("-s %d: the cache size must be between %d and 2^30 flows",
			o.cache, flowcache.Ways)
	case o.workers < 1:
		return nil, usageError("-w %d: need at least one worker", o.workers)
	case o.udp && len(o.ipfix) == 0:
		return nil, usageError("-u needs an IPFIX collector (-x HOST:PORT)")
	}
	if len(o.trap) == 0 && len(o.ipfix) == 0 && len(o.text) == 0 {
		o.text = []textOutput{{format: text.Table}}
	}
	stdout := 0
	for _, t := range o.text {
		if t.path == "" || t.path == "-" {
			stdout++
		}
	}
	if stdout > 1 {
		return nil, usageError("only one -o output can go to standard output")
	}
	return o, nil
}
