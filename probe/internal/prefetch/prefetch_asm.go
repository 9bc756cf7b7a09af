//go:build amd64 || arm64

package prefetch

import "unsafe"

// Line starts loading the cache line that holds the byte at p into every cache
// level. It never faults, whatever p is, and returns at once.
//
//go:noescape
func Line(p unsafe.Pointer)

// Range starts loading every cache line that holds a byte of the n bytes at p, like
// Line does for one. It never faults either.
//
//go:noescape
func Range(p unsafe.Pointer, n uintptr)
