package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestExampleFileLoads(t *testing.T) {
	got, err := Load(filepath.Join("..", "..", "deploy", "flowprobe.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The example keeps every default except the values its comments call examples.
	want := Default()
	want.Input.Interface = "eth0"
	want.Outputs.IPFIX = []string{"127.0.0.1:4739"}
	want.Outputs.TRAP = []string{}
	want.Outputs.TRAPPlugins = []string{}
	want.Outputs.Text = []string{}
	want.Log.Level = "info"
	want.Metrics.Address = "127.0.0.1:9090"
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("example file:\n got %+v\nwant %+v", *got, want)
	}
}

func TestParseValues(t *testing.T) {
	src := `
input:
  trace: /tmp/x.pcap
outputs:
  trap: u:flows          # a lone string is a list of one
  ipfix: [198.18.0.1:4739, "[::1]:4739"]
  ipfix_transport: udp
  observation_domain: 4294967295
  trap_end_of_data: false
  text: [csv:/tmp/f.csv, json]
cache:
  active_timeout: 1m30s
  inactive_timeout: 10s
  fin_wait: 0s
  size: 16
  split: true
log: {level: debug, format: json}
metrics:
`
	got, err := Parse([]byte(src), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Input.Trace = "/tmp/x.pcap"
	want.Outputs = Outputs{TRAP: []string{"u:flows"},
		IPFIX:          []string{"198.18.0.1:4739", "[::1]:4739"},
		IPFIXTransport: "udp", ObservationDomain: 1<<32 - 1,
		Text: []string{"csv:/tmp/f.csv", "json"}}
	want.Cache = Cache{ActiveTimeout: 90 * time.Second, InactiveTimeout: 10 * time.Second,
		Size: 16, Split: true}
	want.Log = Log{Level: "debug", Format: "json"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("\n got %+v\nwant %+v", *got, want)
	}
}

func TestEmptyFileIsDefault(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", "input:\n"} {
		got, err := Parse([]byte(src), "t.yaml")
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if !reflect.DeepEqual(*got, Default()) {
			t.Errorf("%q: got %+v", src, *got)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
		key, msg  string
	}{
		{"unknown section", "inptu:\n  mode: xdp\n", 1, "inptu", "unknown key"},
		{"unknown key", "input:\n  mode: xdp\n  wrokers: 2\n", 3, "input.wrokers",
			"known here: interface, trace"},
		{"bad mode", "input:\n  mode: pcap\n", 2, "input.mode", `"pcap" is not one of`},
		{"workers text", "input:\n  workers: many\n", 2, "input.workers",
			"want a whole number"},
		{"workers range", "input:\n  workers: 0\n", 2, "input.workers", "out of range"},
		{"first packets text", "input:\n  mode: xdp\n  xdp_first_packets: some\n", 3,
			"input.xdp_first_packets", `not "some"`},
		{"first packets negative", "input:\n  xdp_first_packets: -1\n", 2,
			"input.xdp_first_packets", `not "-1"`},
		{"bare number duration", "cache:\n  active_timeout: 300\n", 2,
			"cache.active_timeout", "with a unit"},
		{"bad duration", "cache:\n  inactive_timeout: 3 weeks\n", 2,
			"cache.inactive_timeout", "want a duration"},
		{"zero timeout", "cache:\n  inactive_timeout: 0s\n", 2, "cache.inactive_timeout",
			"more than 0s"},
		{"huge timeout", "\ncache:\n  active_timeout: 100h\n", 3, "cache.active_timeout",
			"at most"},
		{"negative fin wait", "cache:\n  fin_wait: -1s\n", 2, "cache.fin_wait", "0s or more"},
		{"cache size", "cache:\n  size: 3\n", 2, "cache.size", "out of range"},
		{"bool", "cache:\n  split: maybe\n", 2, "cache.split", "true or false"},
		{"section scalar", "cache: 5\n", 1, "cache", "want a mapping"},
		{"list of maps", "outputs:\n  ipfix:\n    - {a: 1}\n", 3, "outputs.ipfix[0]",
			"want a string"},
		{"ipfix address", "outputs:\n  ipfix:\n    - 1.2.3.4:4739\n    - nohost\n", 4,
			"outputs.ipfix[1]", "HOST:PORT"},
		{"ipfix port", "outputs:\n  ipfix: [a:0]\n", 2, "outputs.ipfix[0]", "1 to 65535"},
		{"trap spec", "outputs:\n  trap: [q:nothing]\n", 2, "outputs.trap[0]", ""},
		{"text format", "outputs:\n  text: [xml]\n", 2, "outputs.text[0]", "unknown text"},
		{"two stdout", "outputs:\n  text: [csv, json]\n", 2, "outputs.text[1]",
			"standard output"},
		{"transport", "outputs:\n  ipfix_transport: sctp\n", 2, "outputs.ipfix_transport",
			"not one of"},
		{"domain", "outputs:\n  observation_domain: -1\n", 2, "outputs.observation_domain",
			"0 to 4294967295"},
		{"both inputs", "input:\n  interface: eth0\n  trace: x\n", 3, "input.trace",
			"exclude"},
		{"log level", "log:\n  level: loud\n", 2, "log.level", "not one of"},
		{"metrics", "metrics:\n  address: 9090\n", 2, "metrics.address", "HOST:PORT"},
		{"yaml syntax", "input: [\n", 0, "", "not valid YAML"},
		{"duplicate", "input:\n  mode: xdp\n  mode: afxdp\n", 3, "input.mode",
			"twice (first on line 2)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.src), "t.yaml")
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *config.Error", err)
			}
			if ce.File != "t.yaml" || ce.Line != c.line || ce.Key != c.key ||
				!strings.Contains(err.Error(), c.msg) {
				t.Errorf("got %q (line %d, key %q), want line %d, key %q, text %q",
					err, ce.Line, ce.Key, c.line, c.key, c.msg)
			}
		})
	}
}

func TestLoadRefusesHugeFile(t *testing.T) {
	_, err := Load("/dev/zero")
	var ce *Error
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("got %v, want a size error", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want a not-exist error", err)
	}
}

func TestNeedsRestart(t *testing.T) {
	old := Default()
	n := Default()
	n.Outputs.IPFIX = []string{"127.0.0.1:4739"}
	n.Cache.ActiveTimeout = time.Minute
	n.Log.Level = "debug"
	if keys := NeedsRestart(&old, &n); len(keys) != 0 {
		t.Errorf("reloadable changes reported as needing a restart: %v", keys)
	}
	n.Input.Mode = "afpacket"
	n.Input.XDPFirstPackets = "3"
	n.Cache.Size = 1024
	want := []string{"input.mode", "input.xdp_first_packets", "cache.size"}
	if keys := NeedsRestart(&old, &n); !reflect.DeepEqual(keys, want) {
		t.Errorf("got %v, want %v", keys, want)
	}
}
