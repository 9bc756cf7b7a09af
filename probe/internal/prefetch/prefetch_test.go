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
	}
}
