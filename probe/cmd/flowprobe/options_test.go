package main

import (
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/exporter/text"
)

func TestParseArgs(t *testing.T) {
	cases := []struct {
		name  string
		args  string
		check func(o *options) bool
	}{
		{"flow_meter timeouts", "-r x.pcap -t 120:15.5", func(o *options) bool {
			return o.active == 120*time.Second && o.inactive == 15500*time.Millisecond
		}},
		{"duration timeouts", "-r x.pcap --active 1m --inactive 5s", func(o *options) bool {
			return o.active == time.Minute && o.inactive == 5*time.Second
		}},
		{"default output is a table", "-r x.pcap", func(o *options) bool {
			return len(o.text) == 1 && o.text[0] == textOutput{format: text.Table}
		}},
		{"several outputs", "-I eth0 -i u:flows -x 127.0.0.1:4739 -x 127.0.0.1:4740 -u " +
			"-o json:a.json -o csv", func(o *options) bool {
			return len(o.trap) == 1 && len(o.ipfix) == 2 && o.udp && len(o.text) == 2 &&
				o.text[0] == textOutput{format: text.JSON, path: "a.json"}
		}},
		{"split and cache size", "-r x.pcap --split -s 1024", func(o *options) bool {
			return o.split && o.cache == 1024
		}},
		{"verbosity counts", "-r x.pcap -v -v", func(o *options) bool {
			return o.verbosity == 2
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseArgs(strings.Fields(tc.args))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(o) {
				t.Fatalf("parsed %q as %+v", tc.args, o)
			}
		})
	}
}

// FuzzParseArgs checks that any command line either parses into a usable
// configuration or gives an error, never a panic.
func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{"-r\x00x.pcap", "-I\x00eth0\x00-t\x00300:30",
		"-r\x00f\x00-o\x00csv:out\x00-o\x00json", "-h", "--version", "-t\x00:",
		"-r\x00f\x00-s\x00-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.Contains(line, "config") {
			t.Skip("--config reads a file; TestConfigFile covers it")
		}
		o, err := parseArgs(strings.Split(line, "\x00"))
		if err != nil {
			var ue *usageErr
			if !errors.As(err, &ue) && !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("error %v is neither a usage error nor help", err)
			}
			return
		}
		if o.version {
			return
		}
		if (o.iface == "") == (o.trace == "") || o.active <= 0 || o.inactive <= 0 ||
			o.cache < 16 || len(o.trap)+len(o.ipfix)+len(o.text) == 0 {
			t.Fatalf("accepted an unusable configuration %+v from %q", o, line)
		}
	})
}
