package flowcache

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unsafe"
)

// vmFlags returns the VmFlags line of /proc/self/smaps for the mapping that holds
// addr.
func vmFlags(t *testing.T, addr uintptr) string {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no smaps to check the advice in: %v", err)
	}
	defer f.Close()
	inside := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var from, to uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &from, &to); n == 2 {
			inside = from <= addr && addr < to
			continue
		}
		if inside && strings.HasPrefix(line, "VmFlags:") {
			return line
		}
	}
	t.Fatalf("no mapping in /proc/self/smaps holds %#x", addr)
	return ""
}

// TestHugePageAdvice checks that a default-sized cache's slot array is marked for
// huge pages ("hg"). That a small one is left alone cannot be checked this way: the
// mark stays on heap memory after a cache is freed, and a small array may reuse it.
func TestHugePageAdvice(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("the kernel has no transparent huge pages")
	}
	c, _ := newCache(t, Config{})
	mid := uintptr(unsafe.Pointer(&c.slots[len(c.slots)/2]))
	if flags := vmFlags(t, mid); !strings.Contains(flags, " hg") {
		t.Errorf("the slot array of a default cache is not advised: %s", flags)
	}
}

// TestSmallPagesNotAdvised checks that a default-sized cache made with SmallPages
// leaves its slot array without the huge page mark. It runs in a child process,
// whose heap no earlier cache has marked.
func TestSmallPagesNotAdvised(t *testing.T) {
	if os.Getenv("FLOWCACHE_SMALL_PAGES_CHILD") == "1" {
		c, _ := newCache(t, Config{SmallPages: true})
		mid := uintptr(unsafe.Pointer(&c.slots[len(c.slots)/2]))
		if flags := vmFlags(t, mid); strings.Contains(flags, " hg") {
			t.Errorf("the slot array of a SmallPages cache is advised: %s", flags)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSmallPagesNotAdvised$", "-test.v")
	cmd.Env = append(os.Environ(), "FLOWCACHE_SMALL_PAGES_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestSmallPagesNotAdvised") {
		t.Fatalf("the child did not run the check:\n%s", out)
	}
}
