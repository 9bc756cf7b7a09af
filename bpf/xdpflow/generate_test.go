package xdpflow

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// generatedWith is the first line of `clang --version` of the compiler that built the
// committed objects. Another clang version compiles to other bytes, so the check
// below runs only with this one.
const generatedWith = "Debian clang version 14.0.6"

// TestObjectsMatchSources rebuilds the BPF objects and their Go bindings from the
// go:generate lines of gen.go into a temporary directory, and fails when they differ
// from the committed files: someone changed the C without running `make generate`.
func TestObjectsMatchSources(t *testing.T) {
	for _, tool := range []string{"clang", "llvm-strip", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed, cannot rebuild the BPF objects", tool)
		}
	}
	out, err := exec.Command("clang", "--version").Output()
	if err != nil {
		t.Fatalf("clang --version: %v", err)
	}
	if first, _, _ := strings.Cut(string(out), "\n"); !strings.Contains(first, generatedWith) {
		t.Skipf("objects were built with %q, this host has %q", generatedWith, first)
	}

	dir := t.TempDir()
	for _, args := range generateCommands(t) {
		cmd := exec.Command("go", append([]string{"tool", "bpf2go", "-output-dir", dir},
			args...)...)
		cmd.Env = append(os.Environ(), "GOPACKAGE=xdpflow", "GOFILE=gen.go")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("bpf2go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	rebuilt, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(rebuilt) == 0 {
		t.Fatalf("bpf2go wrote nothing: %v", err)
	}
	for _, path := range rebuilt {
		name := filepath.Base(path)
		fresh, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s is generated but not committed: %v", name, err)
			continue
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("%s differs from what its sources compile to: run make generate", name)
		}
	}
}

// generateCommands returns the bpf2go arguments of every go:generate line in gen.go:
// those of the "bpf2go" alias its -command line defines, then the line's own.
func generateCommands(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open("gen.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var base []string
	var cmds [][]string
	const alias = "//go:generate -command bpf2go go tool bpf2go "
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, alias); ok {
			base = splitQuoted(rest)
		} else if rest, ok := strings.CutPrefix(line, "//go:generate bpf2go "); ok {
			cmds = append(cmds, append(append([]string{}, base...), splitQuoted(rest)...))
		}
	}
	if err := sc.Err(); err != nil || len(cmds) == 0 || base == nil {
		t.Fatalf("no bpf2go go:generate lines in gen.go: %v", err)
	}
	return cmds
}

// splitQuoted splits s at spaces, keeping double-quoted parts whole, as go generate
// does for the simple quoting gen.go uses.
func splitQuoted(s string) []string {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if rest, ok := strings.CutPrefix(s, `"`); ok {
			word, after, _ := strings.Cut(rest, `"`)
			out, s = append(out, word), after
			continue
		}
		word, after, _ := strings.Cut(s, " ")
		out, s = append(out, word), after
	}
	return out
}
