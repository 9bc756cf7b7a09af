package flowcache

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// adviseHugePages asks Linux to back the slot array with 2 MB pages. A packet lands
// on a random slot of an array of tens of megabytes, so with 4 kB pages nearly every
// lookup also misses the TLB and walks the page tables; with 2 MB pages the whole
// array needs a few dozen TLB entries. It must run before the slots are first
// touched, which is when the kernel picks the page size. Where transparent huge
// pages are turned off the advice is refused, and the cache works as before.
func adviseHugePages(slots []slot) {
	if len(slots) == 0 {
		return
	}
	mem := unsafe.Slice((*byte)(unsafe.Pointer(&slots[0])), len(slots)*int(unsafe.Sizeof(slot{})))
	page := uintptr(unix.Getpagesize())
	start := (uintptr(unsafe.Pointer(&mem[0])) + page - 1) &^ (page - 1)
	skip := int(start - uintptr(unsafe.Pointer(&mem[0])))
	if skip >= len(mem) {
		return
	}
	_ = unix.Madvise(mem[skip:], unix.MADV_HUGEPAGE)
}
