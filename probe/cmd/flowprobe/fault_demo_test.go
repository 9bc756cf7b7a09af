package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// demoTotals matches the line hack/demo.sh prints under its table of flows.
var demoTotals = regexp.MustCompile(`(?m)^(\d+) flows, (\d+) packets, (\d+) bytes \(IP\)$`)

// demoSent matches tcpreplay's count of frames written.
var demoSent = regexp.MustCompile(`(?m)^Successful packets:\s+(\d+)$`)

// TestDemo runs `make demo`'s script in both its forms: live as root (XDP capture of
// a replayed trace in a throw-away namespace) and from the file as the user nobody.
// Both must print the flows, and their packets must add up to what was sent.
func TestDemo(t *testing.T) {
	testhost.RequireRoot(t)
	if _, err := exec.LookPath("tcpreplay"); err != nil {
		t.Skip("tcpreplay is not installed; hack/setup-test-host.sh installs it")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv (util-linux) is needed to run the demo as nobody")
	}
	trace, err := filepath.Abs("../../../testdata/pcap/gopacket-cip.pcap")
	if err != nil {
		t.Fatal(err)
	}
	wantPackets, _, err := countTrace(t, trace)
	if err != nil {
		t.Fatal(err)
	}
	// nobody must be able to run the binary: the test binary's own directory is private.
	dir, err := os.MkdirTemp("", "flowprobe-demo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "flowprobe")
	data, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		prefix []string // what runs the script
		live   bool
	}{
		{"root", nil, true},
		{"nobody", []string{"setpriv", "--reuid=nobody", "--regid=nogroup",
			"--clear-groups", "--"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.prefix, "bash", "../../../hack/demo.sh", trace)
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Env = append(os.Environ(), "FLOWPROBE="+bin)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("demo failed: %v\n%s", err, out)
			}
			text := string(out)
			if got := strings.Contains(text, "live xdp capture"); got != tc.live {
				t.Fatalf("live form ran: %v, want %v\n%s", got, tc.live, text)
			}
			m := demoTotals.FindStringSubmatch(text)
			if m == nil {
				t.Fatalf("no totals line\n%s", text)
			}
			flows, _ := strconv.ParseUint(m[1], 10, 64)
			packets, _ := strconv.ParseUint(m[2], 10, 64)
			if flows == 0 || !strings.Contains(text, "SOURCE") {
				t.Fatalf("no flows printed\n%s", text)
			}
			if packets != wantPackets {
				t.Fatalf("the flows hold %d packets, the trace %d\n%s", packets,
					wantPackets, text)
			}
			if tc.live {
				s := demoSent.FindStringSubmatch(text)
				if s == nil || s[1] != strconv.FormatUint(packets, 10) {
					t.Fatalf("tcpreplay sent %v frames, the flows hold %d\n%s", s,
						packets, text)
				}
				assertNoDemoNamespaces(t)
			}
		})
	}
}

// assertNoDemoNamespaces fails t when the demo left a network namespace behind.
func assertNoDemoNamespaces(t *testing.T) {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "fpdemo") {
		t.Fatalf("the demo left namespaces behind:\n%s", out)
	}
}
