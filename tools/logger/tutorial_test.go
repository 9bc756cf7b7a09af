package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The tests here build the four NEMEA tools and run them as the NEMEA tutorial does.

// binDir holds the four tools, built once by TestMain before any test starts its clock.
var binDir string

// tool returns the path of a tool binary built by TestMain.
func tool(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(binDir, name)
}

// buildTools builds the tools into a new temporary folder.
func buildTools() (string, error) {
	dir, err := os.MkdirTemp("", "nemea-tools-")
	if err != nil {
		return "", err
	}
	for _, n := range []string{"logger", "logreplay", "traffic_repeater", "sensor_generator"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, n),
			"../"+n).CombinedOutput()
		if err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("build %s: %v\n%s", n, err, out)
		}
	}
	return dir, nil
}

func TestMain(m *testing.M) {
	var err error
	if binDir, err = buildTools(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// runTool runs a tool with a time limit in dir, with the UNIX sockets in dir too.
func runTool(t *testing.T, dir, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return wait(t, start(t, ctx, dir, name, args...))
}

type process struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
}

func start(t *testing.T, ctx context.Context, dir, name string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.CommandContext(ctx, tool(t, name), args...)}
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), "TRAP_SOCKET_DIR="+dir)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

func wait(t *testing.T, p *process) result {
	t.Helper()
	err := p.cmd.Wait()
	r := result{stdout: p.stdout.String(), stderr: p.stderr.String()}
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() > 0 {
			r.code = ee.ExitCode()
		} else {
			t.Fatalf("%s: %v\nstderr: %s", p.cmd.Path, err, r.stderr)
		}
	}
	return r
}

func mustOK(t *testing.T, r result) string {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
	}
	return r.stdout
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const zwave = "../../testdata/tutorial/zwave-sensor.csv"

// TestTutorial runs steps 1 to 3 of the NEMEA tutorial: replay a CSV into a file,
// repeat the file to a UNIX socket and log it, then log the sensor generator.
func TestTutorial(t *testing.T) {
	dir := t.TempDir()
	input, err := filepath.Abs(zwave)
	if err != nil {
		t.Fatal(err)
	}
	want := readFile(t, input)

	mustOK(t, runTool(t, dir, "logreplay", "-i", "f:outputfile.trapcap", "-f", input))
	got := mustOK(t, runTool(t, dir, "logger", "-i", "f:outputfile.trapcap", "-t"))
	if got != want {
		t.Fatalf("step 1: logger printed\n%s\nwant\n%s", got, want)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	repeater := start(t, ctx, dir, "traffic_repeater", "-i", "f:outputfile.trapcap,u:mysocket")
	got = mustOK(t, runTool(t, dir, "logger", "-i", "u:mysocket", "-t"))
	mustOK(t, wait(t, repeater))
	if got != want {
		t.Fatalf("step 2: logger printed\n%s\nwant\n%s", got, want)
	}

	before := time.Now().Unix()
	generator := start(t, ctx, dir, "sensor_generator", "-n", "3", "-s", "100ms")
	got = mustOK(t, runTool(t, dir, "logger", "-i", "u:mysocket", "-t"))
	mustOK(t, wait(t, generator))
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 4 || lines[0] != "uint32 GW_ID,int32 SOAFCount,int32 TIME" {
		t.Fatalf("step 3: logger printed\n%s\nwant the header and 3 records", got)
	}
	for _, l := range lines[1:] {
		var soaf, ts int64
		if _, err := fmt.Sscanf(l, "1101,%d,%d", &soaf, &ts); err != nil || soaf < 30 ||
			ts < before || ts > time.Now().Unix() {
			t.Errorf("step 3: implausible record %q", l)
		}
	}
}

func TestFileOutputs(t *testing.T) {
	dir := t.TempDir()
	input, err := filepath.Abs(zwave)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		mustOK(t, runTool(t, dir, "logreplay", "-i", "f:app/x.trapcap:a", "-f", input))
	}
	a, b := readFile(t, dir+"/app/x.trapcap.00000"), readFile(t, dir+"/app/x.trapcap.00001")
	if a != b || a == "" {
		t.Error("the two :a runs did not write two equal files")
	}

	mustOK(t, runTool(t, dir, "logreplay", "-i", "f:size/x.trapcap:size=1", "-f", input))
	if _, err := os.Stat(dir + "/size/x.trapcap.00000"); err != nil {
		t.Error(err)
	}

	mustOK(t, runTool(t, dir, "logreplay", "-i", "f:time/x.trapcap:time=5:buffer=off",
		"-f", input))
	entries, err := os.ReadDir(dir + "/time")
	if err != nil || len(entries) != 1 {
		t.Fatalf("time rotation wrote %v (%v), want one file", entries, err)
	}
	stamp, ok := strings.CutPrefix(entries[0].Name(), "x.trapcap.")
	start, perr := time.ParseInLocation("200601021504", stamp, time.Local)
	if !ok || perr != nil || start.Minute()%5 != 0 || time.Since(start) > 10*time.Minute {
		t.Errorf("file %s is not named after the current 5-minute period", entries[0].Name())
	}
	got := mustOK(t, runTool(t, dir, "logger", "-t", "-i", "f:time/"+entries[0].Name()))
	if got != readFile(t, input) {
		t.Errorf("the time-rotated file reads back as\n%s", got)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "bad.csv")
	err := os.WriteFile(csv, []byte("uint32 A,int32 B\n1,2\n3\n4,x\n5,6,7\n"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	r := runTool(t, dir, "logreplay", "-i", "f:bad.trapcap", "-f", csv)
	for _, want := range []string{csv + ":3: row has 1 columns", csv + ":3: field B",
		csv + ":4: field B: invalid int32 value \"x\"", csv + ":5: row has more columns"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if got := mustOK(t, runTool(t, dir, "logger", "-i", "f:bad.trapcap")); got != "1,2\n5,6\n" {
		t.Errorf("the valid rows read back as %q", got)
	}

	cases := []struct {
		tool string
		args []string
		want string
	}{
		{"logger", []string{"-i", "f:x", "-q"}, "flag provided but not defined: -q"},
		{"logger", []string{"-t"}, "option -i"},
		{"logger", []string{"-i", "x:1"}, "unsupported interface type"},
		{"logger", []string{"-i", "f:x,f:y"}, "bad number of IFCs"},
		{"logger", []string{"-i", "f:x", "-d", "ab"}, "option -d"},
		{"logreplay", []string{"-i", "f:x"}, "missing option -f"},
		{"logreplay", []string{"-i", "f:x", "-f", "none.csv"}, "none.csv"},
		{"logreplay", []string{"-i", "f:x", "-f", csv, "-c", "0"}, "option -c"},
		{"traffic_repeater", []string{"-i", "f:x"}, "bad number of IFCs"},
		{"sensor_generator", []string{"-i", "f:x", "-s", "soon"}, "invalid value"},
	}
	for _, c := range cases {
		r := runTool(t, dir, c.tool, c.args...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s %q: exit %d, stderr %q; want 1 and %q", c.tool, c.args, r.code,
				r.stderr, c.want)
		}
	}
	for _, name := range []string{"logger", "logreplay", "traffic_repeater", "sensor_generator"} {
		r := runTool(t, dir, name, "-h")
		if r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: "+name) {
			t.Errorf("%s -h: exit %d, output %q", name, r.code, r.stdout)
		}
	}
}

func TestLoggerOptions(t *testing.T) {
	dir := t.TempDir()
	golden, err := filepath.Abs("../../testdata/trap/flows.trapcap")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(readFile(t, "../../testdata/trap/flows.logger.csv"), "\n")

	mustOK(t, runTool(t, dir, "logger", "-i", "f:"+golden, "-c", "2", "-w", "out.csv"))
	mustOK(t, runTool(t, dir, "logger", "-i", "f:"+golden, "-c", "1", "-a", "out.csv"))
	if got, want := readFile(t, dir+"/out.csv"), lines[1]+lines[2]+lines[1]; got != want {
		t.Errorf("-w then -a wrote\n%s\nwant\n%s", got, want)
	}

	got := mustOK(t, runTool(t, dir, "logger", "-i", "f:"+golden, "-t", "-T", "-d", `\t`,
		"-c", "1"))
	header, record, _ := strings.Cut(got, "\n")
	if header != "time,"+strings.ReplaceAll(strings.TrimSuffix(lines[0], "\n"), ",", "\t") {
		t.Errorf("-t -T -d '\\t' header %q", header)
	}
	stamp, rest, _ := strings.Cut(record, ",")
	when, err := time.Parse("2006-01-02T15:04:05", stamp)
	if err != nil || time.Since(when) > time.Minute || time.Since(when) < -time.Second ||
		!strings.HasPrefix(rest, "10.0.0.1\t192.168.1.10\t1500\t") {
		t.Errorf("-T -d '\\t' record %q", record)
	}
}

func TestLogreplayOptions(t *testing.T) {
	dir := t.TempDir()
	flows, err := filepath.Abs("../../testdata/trap/flows.csv")
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, runTool(t, dir, "logreplay", "-n", "-f", flows, "-i", "f:noeof.trapcap"))
	if readFile(t, dir+"/noeof.trapcap") != readFile(t, "../../testdata/trap/flows.noeof.trapcap") {
		t.Error("-n did not write flows.noeof.trapcap")
	}
	mustOK(t, runTool(t, dir, "logreplay", "-c", "5", "-f", flows, "-i", "f:cut.trapcap"))
	got := mustOK(t, runTool(t, dir, "logger", "-i", "f:cut.trapcap"))
	want := strings.SplitAfter(readFile(t, "../../testdata/trap/flows.logger.csv"), "\n")
	if got != strings.Join(want[1:6], "") {
		t.Errorf("-c 5 sent\n%s", got)
	}

	// Rows two seconds apart: logreplay waits between them unless -d.
	timed := filepath.Join(dir, "timed.csv")
	err = os.WriteFile(timed, []byte("time,uint8 X\n2024-01-01T00:00:00,1\n"+
		"2024-01-01T00:00:02,2\n"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		wait bool
	}{{nil, true}, {[]string{"-d"}, false}} {
		start := time.Now()
		mustOK(t, runTool(t, dir, "logreplay", append(c.args, "-f", timed, "-i", "b:")...))
		if waited := time.Since(start) >= 2*time.Second; waited != c.wait {
			t.Errorf("logreplay %q took %v", c.args, time.Since(start))
		}
	}
}
