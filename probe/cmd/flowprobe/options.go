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
	"github.com/flowprobe/flowprobe/probe/config"
	"github.com/flowprobe/flowprobe/probe/flowcache"
	"github.com/flowprobe/flowprobe/trapout/flowexport"
)

// options is the parsed command line.
type options struct {
	iface, trace, mode, filter string
	workers                    int
	promiscuous                bool
	xdpFirst                   uint32 // --xdp-first-packets; xdpflow.RedirectAll for all

	trap     []string
	plugins  []string // ipfixprobe process plugins whose fields TRAP records carry
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
	logLevel  string // debug, info, warn or error; -v raises it
	logFormat string // auto, console or json
	metrics   string // HOST:PORT of the /metrics endpoint, "" for none
	version   bool

	// configPath is the --config file and file what it held when read, nil without
	// one; a reload compares the file's old and new contents.
	configPath string
	file       *config.Config
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

// listFlag collects every use of a repeatable flag. The first use replaces what the
// configuration file listed, later ones add to it.
type listFlag struct {
	list *[]string
	set  bool
}

func (l *listFlag) String() string {
	if l.list == nil {
		return ""
	}
	return strings.Join(*l.list, ",")
}

func (l *listFlag) Set(s string) error {
	if !l.set {
		*l.list, l.set = nil, true
	}
	*l.list = append(*l.list, s)
	return nil
}

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

// newFlagSet defines the flags, with o's values as their defaults so that only the
// flags given change o; it prints nothing, run reports errors and help.
func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("flowprobe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}

	fs.StringVar(&o.configPath, "config", o.configPath, "")
	fs.StringVar(&o.iface, "I", o.iface, "")
	fs.StringVar(&o.trace, "r", o.trace, "")
	fs.StringVar(&o.mode, "mode", o.mode, "")
	fs.IntVar(&o.workers, "w", o.workers, "")
	fs.StringVar(&o.filter, "f", o.filter, "")
	fs.BoolVar(&o.promiscuous, "promisc", o.promiscuous, "")
	fs.Func("xdp-first-packets", "", func(v string) error { return parseXDPFirst(v, o) })
	fs.Var(&listFlag{list: &o.trap}, "i", "")
	fs.Var(&listFlag{list: &o.plugins}, "p", "")
	fs.Var(&listFlag{list: &o.ipfix}, "x", "")
	fs.BoolVar(&o.udp, "u", o.udp, "")
	fs.BoolVar(&o.ipfixMs, "ipfix-ms", o.ipfixMs, "")
	fs.UintVar(&o.odid, "O", o.odid, "")
	fs.BoolVar(&o.noEOF, "no-eof", o.noEOF, "")
	textSet := false
	fs.Func("o", "", func(s string) error {
		if !textSet {
			o.text, textSet = nil, true
		}
		t, err := parseTextOutput(s)
		o.text = append(o.text, t)
		return err
	})
	fs.Func("t", "", func(s string) error { return parseTimeouts(s, o) })
	fs.DurationVar(&o.active, "active", o.active, "")
	fs.DurationVar(&o.inactive, "inactive", o.inactive, "")
	fs.DurationVar(&o.finWait, "fin-wait", o.finWait, "")
	fs.IntVar(&o.cache, "s", o.cache, "")
	fs.BoolVar(&o.split, "split", o.split, "")
	fs.BoolVar(&o.decap, "decap", o.decap, "")
	fs.StringVar(&o.metrics, "metrics", o.metrics, "")
	fs.Var((*countFlag)(&o.verbosity), "v", "")
	fs.BoolVar(&o.version, "version", o.version, "")
	fs.BoolVar(&o.version, "V", o.version, "")
	return fs
}

// parseArgs reads the --config file, if any, then the command line over it, and
// checks the result. -h gives flag.ErrHelp.
func parseArgs(args []string) (*options, error) {
	// A first pass only finds the file; it reports the command line's mistakes too.
	scratch, err := defaultOptions()
	if err != nil {
		return nil, err
	}
	if err := parseOnto(scratch, args); err != nil {
		return nil, err
	}
	o := scratch
	if scratch.configPath != "" && !scratch.version {
		file, err := config.Load(scratch.configPath)
		if err != nil {
			return nil, usageError("%v", err)
		}
		if o, err = optionsFromConfig(file); err != nil {
			return nil, usageError("%s: %v", scratch.configPath, err)
		}
		o.file = file
		if err := parseOnto(o, args); err != nil {
			return nil, err
		}
		// An input given on the command line replaces the file's input of the other
		// kind, so that a configured probe can replay a trace with -r.
		if scratch.trace != "" && scratch.iface == "" {
			o.iface = ""
		}
		if scratch.iface != "" && scratch.trace == "" {
			o.trace = ""
		}
	}
	if o.version {
		return o, nil
	}
	return o, checkOptions(o)
}

// parseOnto parses args over o.
func parseOnto(o *options, args []string) error {
	fs := newFlagSet(o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError("%v", err)
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// checkOptions rejects what cannot run and fills in the default output.
func checkOptions(o *options) error {
	switch {
	case o.iface == "" && o.trace == "":
		return usageError("no input: give -I INTERFACE or -r FILE")
	case o.iface != "" && o.trace != "":
		return usageError("-I and -r exclude each other")
	case o.iface != "" && !slices.Contains(liveModes, o.mode):
		return usageError("--mode %q is not supported (available: %s)", o.mode,
			strings.Join(liveModes, ", "))
	case o.mode != "afpacket" && (o.filter != "" || o.workers != 1 || o.promiscuous):
		return usageError("-f, -w and --promisc apply to --mode afpacket only")
	case o.xdpFirst != 0 && (o.iface == "" || o.mode != "xdp"):
		return usageError("--xdp-first-packets applies to --mode xdp only")
	case o.decap && o.iface != "" && o.mode == "xdp":
		return usageError("--decap needs --mode afpacket or afxdp: the XDP program " +
			"counts tunnelled packets as their outer flow")
	case o.active <= 0 || o.inactive <= 0 || o.finWait < 0:
		return usageError("timeouts must be positive (active %v, inactive %v, "+
			"fin wait %v)", o.active, o.inactive, o.finWait)
	case max(o.active, o.inactive, o.finWait) > flowcache.MaxTimeout:
		return usageError("timeouts must be at most %v (active %v, inactive %v, "+
			"fin wait %v)", flowcache.MaxTimeout, o.active, o.inactive, o.finWait)
	case o.cache < flowcache.Ways || o.cache > 1<<30:
		return usageError("-s %d: the cache size must be between %d and 2^30 flows",
			o.cache, flowcache.Ways)
	case o.workers < 1:
		return usageError("-w %d: need at least one worker", o.workers)
	case o.udp && len(o.ipfix) == 0:
		return usageError("-u needs an IPFIX collector (-x HOST:PORT)")
	case len(o.plugins) > 0 && len(o.trap) == 0:
		return usageError("-p (trap_plugins) adds fields to TRAP records: it needs a " +
			"TRAP output (-i IFC)")
	}
	if len(o.plugins) > 0 {
		// Each -p value (or trap_plugins item) may list several, separated by commas.
		o.plugins = strings.Split(strings.Join(o.plugins, ","), ",")
	}
	if err := flowexport.CheckPlugins(o.plugins); err != nil {
		return usageError("-p (trap_plugins): %v", err)
	}
	// The template depends on the set of plugins alone: "basic" adds nothing, and
	// order and repeats change nothing.
	o.plugins = slices.DeleteFunc(o.plugins, func(p string) bool { return p == "basic" })
	slices.Sort(o.plugins)
	o.plugins = slices.Compact(o.plugins)
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
		return usageError("only one -o output can go to standard output")
	}
	return nil
}
