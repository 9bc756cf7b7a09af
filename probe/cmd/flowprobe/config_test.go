package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConfig writes a configuration file for a test and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flowprobe.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigFile(t *testing.T) {
	trace, err := filepath.Abs("../../../testdata/pcap/tcpreplay-test.pcap")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fromFile, fromFlag := filepath.Join(dir, "file.csv"), filepath.Join(dir, "flag.csv")
	conf := writeConfig(t, "input:\n  trace: "+trace+"\noutputs:\n  text:\n    - csv:"+
		fromFile+"\ncache:\n  split: true\n  active_timeout: 10s\n")

	// The file alone.
	if _, stderr, code := flowprobe(t, "--config", conf); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(fromFile)
	if err != nil {
		t.Fatal(err)
	}
	split := readCSV(t, string(data))

	// A flag replaces the file's outputs and another overrides a cache key.
	os.Remove(fromFile)
	if _, stderr, code := flowprobe(t, "--config", conf, "-o", "csv:"+fromFlag,
		"--active", "5m"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(fromFile); err == nil {
		t.Error("the file's output was written although -o replaced it")
	}
	data, err = os.ReadFile(fromFlag)
	if err != nil {
		t.Fatal(err)
	}
	overridden := readCSV(t, string(data))

	// split: true gives uniflows, so no record has reverse packets.
	for _, r := range split {
		if r["PACKETS_REV"] != "0" {
			t.Fatalf("split from the file not applied: %v", r)
		}
	}
	if len(overridden) != len(split) || len(split) == 0 {
		t.Fatalf("%d records from the file's settings, %d with flags over them",
			len(split), len(overridden))
	}
}

func TestConfigFileErrors(t *testing.T) {
	cases := []struct {
		name, text, want string
	}{
		{"unknown key", "cache:\n  activ_timeout: 10s\n", ":2: cache.activ_timeout"},
		{"bare number", "cache:\n  active_timeout: 10\n", "cache.active_timeout"},
		{"bad text output", "input:\n  trace: x.pcap\noutputs:\n  text: [xml]\n", `"xml"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conf := writeConfig(t, tc.text)
			_, stderr, code := flowprobe(t, "--config", conf)
			if code != exitUsage || !strings.Contains(stderr, tc.want) ||
				!strings.Contains(stderr, conf) && tc.name != "bad text output" {
				t.Fatalf("exit %d, stderr %q; want exit %d naming %q", code, stderr,
					exitUsage, tc.want)
			}
		})
	}
	if _, stderr, code := flowprobe(t, "--config", "/nonexistent.yaml"); code != exitUsage ||
		!strings.Contains(stderr, "/nonexistent.yaml") {
		t.Fatalf("missing file: exit %d, %s", code, stderr)
	}
}
