package prefetch

import (
	"testing"
	"unsafe"
)

// TestNeverFaults prefetches a live buffer and the nil page: a prefetch is a hint,
// and neither may crash the process.
func TestNeverFaults(t *testing.T) {
	buf := make([]byte, 4096)
	for _, p := range []unsafe.Pointer{unsafe.Pointer(&buf[0]), nil} {
		Line(p)
		Range(p, 4096)
	}
	// A range starting in the middle of a line, and one of no bytes.
	Range(unsafe.Pointer(&buf[100]), 3000)
	Range(unsafe.Pointer(&buf[0]), 0)
}
