package gen

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTsharkAcceptsChecksums has Wireshark's dissectors, an implementation
// independent of this package, verify every IP, TCP, UDP and ICMP checksum.
func TestTsharkAcceptsChecksums(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed (hack/setup-test-host.sh installs it)")
	}
	cfg := Config{Packets: 5_000, Flows: 400, Seed: 11, IPv6: 0.3}
	path := filepath.Join(t.TempDir(), "trace.pcap")
	truth, err := WriteFile(path, cfg)
	if err != nil {
		t.Fatal(err)
	}

	fields := []string{"ip.checksum.status", "tcp.checksum.status", "udp.checksum.status",
		"icmp.checksum.status", "icmpv6.checksum.status"}
	args := []string{"-r", path, "-n", "-T", "fields",
		"-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
		"-o", "udp.check_checksum:TRUE"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command(tshark, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}

	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if int64(len(lines)) != truth.Total.Packets {
		t.Fatalf("tshark read %d packets, the truth says %d", len(lines), truth.Total.Packets)
	}
	// A status of 1 is a verified good checksum, 0 a bad one, 2 an unverified one.
	for i, line := range lines {
		statuses := strings.Fields(line)
		if len(statuses) == 0 {
			t.Fatalf("packet %d: tshark checked no checksum", i+1)
		}
		for _, s := range statuses {
			if s != "1" {
				t.Fatalf("packet %d: checksum statuses %q (%s), want all 1 (good)",
					i+1, line, strings.Join(fields, ","))
			}
		}
	}
}
