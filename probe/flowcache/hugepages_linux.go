package flowcache

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePagesFrom is the smallest slot array worth advising. A small one gains nothing
// from 2 MB pages, and every advice may split the mapping of the Go heap in two, so a
// program that makes many small caches (the tests do) could run out of mappings.
const hugePagesFrom = 8 << 20

// adviseHugePages asks Linux to back the slot array with 2 MB pages. A packet lands
// on a random slot of an array of tens of megabytes, so with 4 kB pages nearly every
// lookup also misses the TLB and walks the page tables; with 2 MB pages the whole
// array needs a few dozen TLB entries. The kernel picks the page size when memory is
// first touched, so the advice helps fresh memory, as a large new array mostly is;
// memory the Go heap reuses keeps its small pages until the kernel's background
// collapsing gets to it. Where transparent huge pages are turned off the advice is
// refused, and the cache works as before.
func adviseHugePages(slots []slot) {
	size := len(slots) * int(unsafe.Sizeof(slot{}))
	if size < hugePagesFrom {
		return
	}
	mem := unsafe.Slice((*byte)(unsafe.Pointer(&slots[0])), size)
	page := uintptr(unix.Getpagesize())
	start := (uintptr(unsafe.Pointer(&mem[0])) + page - 1) &^ (page - 1)
	skip := int(start - uintptr(unsafe.Pointer(&mem[0])))
	if skip >= len(mem) {
		return
	}
	_ = unix.Madvise(mem[skip:], unix.MADV_HUGEPAGE)
}
