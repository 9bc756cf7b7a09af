package config

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowprobe/flowprobe/exporter/text"
	"github.com/flowprobe/flowprobe/probe/flowcache"
	"github.com/flowprobe/flowprobe/trapout/ifc"
)

// maxWorkers is the most afpacket sockets one fanout group takes.
const maxWorkers = 256

// Check reports the first value of c that is out of range, as Parse does for a file.
// Use it on a Config built or changed in code.
func (c *Config) Check() error {
	d := decoder{file: "configuration", lines: map[string]int{}}
	return d.check(c)
}

// check tests every value that has a limited range, in the order of the file.
func (d *decoder) check(c *Config) error {
	in, out, cache := &c.Input, &c.Outputs, &c.Cache
	checks := []struct {
		key string
		err error
	}{
		{"input.trace", exclusive(in)},
		{"input.mode", oneOf(in.Mode, Modes)},
		{"input.workers", intRange(in.Workers, 1, maxWorkers)},
		{"input.xdp_first_packets", checkXDPFirstPackets(in.XDPFirstPackets)},
		{"outputs.ipfix_transport", oneOf(out.IPFIXTransport, IPFIXTransports)},
		{"cache.active_timeout", positive(cache.ActiveTimeout)},
		{"cache.inactive_timeout", positive(cache.InactiveTimeout)},
		{"cache.fin_wait", atMostMax(cache.FINWait)},
		{"cache.active_timeout", atMostMax(cache.ActiveTimeout)},
		{"cache.inactive_timeout", atMostMax(cache.InactiveTimeout)},
		{"cache.size", intRange(cache.Size, flowcache.Ways, 1<<30)},
		{"log.level", oneOf(c.Log.Level, LogLevels)},
		{"log.format", oneOf(c.Log.Format, LogFormats)},
	}
	for _, ck := range checks {
		if ck.err != nil {
			return d.errorf(d.line(ck.key), ck.key, "%v", ck.err)
		}
	}
	if c.Metrics.Address != "" {
		if err := hostPort(c.Metrics.Address); err != nil {
			return d.errorf(d.line("metrics.address"), "metrics.address", "%v", err)
		}
	}
	return d.checkOutputs(out)
}

// checkOutputs parses every output specifier the way flowprobe will open it.
func (d *decoder) checkOutputs(out *Outputs) error {
	for i, s := range out.TRAP {
		if _, err := ifc.Parse(s, 0, 1); err != nil {
			key := fmt.Sprintf("outputs.trap[%d]", i)
			return d.errorf(d.line(key), key, "%v", err)
		}
	}
	for i, s := range out.IPFIX {
		if err := hostPort(s); err != nil {
			key := fmt.Sprintf("outputs.ipfix[%d]", i)
			return d.errorf(d.line(key), key, "%v", err)
		}
	}
	stdout := 0
	for i, s := range out.Text {
		key := fmt.Sprintf("outputs.text[%d]", i)
		format, path, _ := strings.Cut(s, ":")
		if _, err := text.ParseFormat(format); err != nil {
			return d.errorf(d.line(key), key, "%v", err)
		}
		if path == "" || path == "-" {
			stdout++
		}
		if stdout > 1 {
			return d.errorf(d.line(key), key, "only one text output can go to "+
				"standard output")
		}
	}
	return nil
}

func checkXDPFirstPackets(v string) error {
	if v == "" {
		return nil
	}
	_, err := ParseXDPFirstPackets(v)
	return err
}

func exclusive(in *Input) error {
	if in.Interface != "" && in.Trace != "" {
		return fmt.Errorf("interface and trace exclude each other")
	}
	return nil
}

func oneOf(v string, allowed []string) error {
	if !slices.Contains(allowed, v) {
		return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	return nil
}

func intRange(v, lo, hi int) error {
	if v < lo || v > hi {
		return fmt.Errorf("%d is out of range: want %d to %d", v, lo, hi)
	}
	return nil
}

func positive(v time.Duration) error {
	if v <= 0 {
		return fmt.Errorf("%v: want more than 0s", v)
	}
	return nil
}

func atMostMax(v time.Duration) error {
	if v < 0 {
		return fmt.Errorf("%v: want 0s or more", v)
	}
	if v > flowcache.MaxTimeout {
		return fmt.Errorf("%v: want at most %v", v, flowcache.MaxTimeout)
	}
	return nil
}

func hostPort(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want HOST:PORT, got %q", s)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return fmt.Errorf("port %q in %q is not a number from 1 to 65535", port, s)
	}
	return nil
}
