//go:build !amd64 && !arm64

package prefetch

import "unsafe"

// Line does nothing on this architecture: the assembly that prefetches exists for
// amd64 and arm64 only.
func Line(p unsafe.Pointer) {}

// Range does nothing on this architecture, like Line.
func Range(p unsafe.Pointer, n uintptr) {}
