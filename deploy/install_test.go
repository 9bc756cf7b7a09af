package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// install runs `make install` from the repository root into a fresh DESTDIR.
func install(t *testing.T, destdir string, vars ...string) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed (hack/setup-test-host.sh installs it)")
	}
	args := append([]string{"-C", "..", "install", "DESTDIR=" + destdir}, vars...)
	out, err := exec.Command("make", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
}

func TestMakeInstall(t *testing.T) {
	dest := t.TempDir()
	install(t, dest, "PREFIX=/usr")

	files := []struct {
		path string
		mode os.FileMode
	}{
		{"usr/bin/flowprobe", 0o755},
		{"usr/bin/nemea/logger", 0o755},
		{"usr/bin/nemea/logreplay", 0o755},
		{"usr/bin/nemea/traffic_repeater", 0o755},
		{"usr/bin/nemea/sensor_generator", 0o755},
		{"usr/lib/systemd/system/flowprobe.service", 0o644},
		{"usr/lib/sysusers.d/flowprobe.conf", 0o644},
		{"etc/flowprobe/flowprobe.yaml", 0o644},
	}
	for _, f := range files {
		st, err := os.Stat(filepath.Join(dest, f.path))
		if err != nil {
			t.Errorf("not installed: %v", err)
			continue
		}
		if st.Mode().Perm() != f.mode {
			t.Errorf("%s has mode %v, want %v", f.path, st.Mode().Perm(), f.mode)
		}
	}

	unit := read(t, filepath.Join(dest, "usr/lib/systemd/system/flowprobe.service"))
	if !strings.Contains(unit, "\nExecStart=/usr/bin/flowprobe --config "+
		"/etc/flowprobe/flowprobe.yaml\n") || strings.Contains(unit, "DIR@") {
		t.Errorf("unit paths not filled in:\n%s", unit)
	}
	if got, want := read(t, filepath.Join(dest, "etc/flowprobe/flowprobe.yaml")),
		read(t, "flowprobe.yaml"); got != want {
		t.Error("installed configuration differs from deploy/flowprobe.yaml")
	}
	out, err := exec.Command(filepath.Join(dest, "usr/bin/flowprobe"), "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "flowprobe ") {
		t.Errorf("installed flowprobe --version: %q, %v", out, err)
	}
}

func TestInstallKeepsConfiguration(t *testing.T) {
	dest := t.TempDir()
	conf := filepath.Join(dest, "opt/etc/flowprobe/flowprobe.yaml")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	mine := []byte("input:\n  interface: eth1\n")
	if err := os.WriteFile(conf, mine, 0o644); err != nil {
		t.Fatal(err)
	}
	install(t, dest, "PREFIX=/opt", "SYSCONFDIR=/opt/etc")
	if got, _ := os.ReadFile(conf); !bytes.Equal(got, mine) {
		t.Errorf("make install replaced the configuration with:\n%s", got)
	}
	unit := read(t, filepath.Join(dest, "opt/lib/systemd/system/flowprobe.service"))
	if !strings.Contains(unit, "ExecStart=/opt/bin/flowprobe --config /opt/etc/flowprobe/") {
		t.Errorf("unit does not follow PREFIX and SYSCONFDIR:\n%s", unit)
	}
}

// TestUnitVerifies runs systemd-analyze on the installed unit, with ExecStart
// pointing into DESTDIR because verify checks that the program exists.
func TestUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (package systemd)")
	}
	dest := t.TempDir()
	install(t, dest, "PREFIX=/usr")
	unit := read(t, filepath.Join(dest, "usr/lib/systemd/system/flowprobe.service"))
	unit = strings.ReplaceAll(unit, "ExecStart=/usr/bin/",
		"ExecStart="+filepath.Join(dest, "usr/bin")+"/")
	path := filepath.Join(t.TempDir(), "flowprobe.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}

	// verify exits 0 even on unknown keys and bad values; it only prints them.
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}

	// The hardening keeps the exposure score systemd computes "OK" (under 4.0).
	out, err = exec.Command(analyze, "security", "--offline=yes", "--no-pager",
		path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	if score, _ := strconv.ParseFloat(string(m[1]), 64); score >= 4 {
		t.Errorf("exposure level %.1f, want under 4.0", score)
	}
	t.Logf("systemd exposure level %s", m[1])
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
