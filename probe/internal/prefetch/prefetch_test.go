package prefetch

import (
	"testing"
	"unsafe"
)

// TestNeverFaults prefetches a live buffer, the nil page and the lines past it: a
// prefetch is a hint, and none of these may crash the process.
func TestNeverFaults(t *testing.T) {
	buf := make([]byte, 4096)
	cases := []struct {
		name string
		p    unsafe.Pointer
		n    uintptr
	}{
		{"buffer", unsafe.Pointer(&buf[0]), 64},
		{"nil", nil, 4},
		{"past the nil page", nil, 4096 / 64 * 4},
		{"no lines", nil, 0},
	}
	for _, c := range cases {
		Line(c.p)
		Lines(c.p, c.n)
	}
}
