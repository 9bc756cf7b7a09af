package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// binary is the flowprobe command built for the tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "flowprobe-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "flowprobe")
	args := []string{"build", "-o", binary}
	if raceBuild {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("build flowprobe: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// flowprobe runs the built command and returns its standard output, standard error
// and exit code.
func flowprobe(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return stdout.String(), stderr.String(), exit.ExitCode()
	case err != nil:
		t.Fatalf("run flowprobe: %v", err)
	}
	return stdout.String(), stderr.String(), 0
}

// row is one exported flow, by column name.
type row map[string]string

func (r row) uint(t *testing.T, name string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(r[name], 10, 64)
	if err != nil {
		t.Fatalf("column %s: %v", name, err)
	}
	return v
}

// readCSV reads flowprobe's CSV output.
func readCSV(t *testing.T, data string) []row {
	t.Helper()
	lines, err := csv.NewReader(strings.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, data)
	}
	if len(lines) == 0 {
		t.Fatal("no CSV header")
	}
	var rows []row
	for _, l := range lines[1:] {
		r := row{}
		for i, name := range lines[0] {
			r[name] = l[i]
		}
		rows = append(rows, r)
	}
	return rows
}

func TestUsage(t *testing.T) {
	versionFile, err := os.ReadFile("../../../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	trace := "../../../testdata/pcap/ipfixprobe-dns.pcap"
	// No case may capture on a real interface, even when validation lets it by.
	const noIf = "fp-no-such-if"
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string // a substring of standard output
		stderr string // a substring of standard error
	}{
		{"version", []string{"--version"}, exitOK,
			"flowprobe " + strings.TrimSpace(string(versionFile)), ""},
		{"help lists exit codes", []string{"-h"}, exitOK, "Exit codes:", ""},
		{"no input", nil, exitUsage, "", "no input"},
		{"two inputs", []string{"-I", noIf, "-r", trace}, exitUsage, "", "exclude"},
		{"unknown flag", []string{"--frobnicate"}, exitUsage, "", "frobnicate"},
		{"bad timeouts", []string{"-r", trace, "-t", "300"}, exitUsage, "", "ACTIVE:INACTIVE"},
		{"timeout too long", []string{"-r", trace, "--active", "5h"}, exitUsage, "",
			"at most"},
		{"bad text format", []string{"-r", trace, "-o", "xml"}, exitUsage, "", `"xml"`},
		{"unknown mode", []string{"-I", noIf, "--mode", "pfring"}, exitUsage, "", "pfring"},
		{"afxdp with a filter", []string{"-I", noIf, "--mode", "afxdp", "-f", "udp"},
			exitUsage, "", "afpacket only"},
		{"xdp with workers", []string{"-I", noIf, "--mode", "xdp", "-w", "2"},
			exitUsage, "", "afpacket only"},
		{"udp without collector", []string{"-r", trace, "-u"}, exitUsage, "", "-x"},
		{"plugins without TRAP", []string{"-r", trace, "-p", "vlan"}, exitUsage, "",
			"needs a TRAP output"},
		{"unknown plugin", []string{"-r", trace, "-i", "f:/dev/null", "-p", "vlan,http"},
			exitUsage, "", `unknown plugin "http"`},
		{"decap in xdp mode", []string{"-I", noIf, "--decap"}, exitUsage, "",
			"--decap needs --mode afpacket or afxdp"},
		{"small cache", []string{"-r", trace, "-s", "3"}, exitUsage, "", "cache size"},
		{"two stdout outputs", []string{"-r", trace, "-o", "csv", "-o", "json"}, exitUsage,
			"", "standard output"},
		{"missing trace", []string{"-r", "/nonexistent.pcap"}, exitSetup, "",
			"/nonexistent.pcap"},
		{"bad TRAP spec", []string{"-r", trace, "-i", "q:nothing"}, exitSetup, "",
			"TRAP output"},
		{"text file in a missing directory", []string{"-r", trace, "-o",
			"csv:/nonexistent/dir/flows.csv"}, exitSetup, "", "/nonexistent/dir"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := flowprobe(t, tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) ||
				!strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant %q / %q", code,
					tc.code, stdout, stderr, tc.stdout, tc.stderr)
			}
		})
	}
}

func TestFallbackVersionMatchesFile(t *testing.T) {
	data, err := os.ReadFile("../../../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(data)); got != fallbackVersion {
		t.Fatalf("VERSION says %q but fallbackVersion is %q: update version.go", got,
			fallbackVersion)
	}
}
