//go:build unix

package pcapfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the size bytes of f read-only, or returns nil when the file cannot be
// mapped (then it is read with read(2) instead).
func mapFile(f *os.File, size int64) *mapping {
	if size <= 0 || size != int64(int(size)) {
		return nil
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil
	}
	// The records are read front to back once: let the kernel read ahead generously
	// and drop pages behind the reader.
	_ = unix.Madvise(data, unix.MADV_SEQUENTIAL)
	return &mapping{data: data, release: unix.Munmap, forget: forgetPages,
		size: func() (int64, error) {
			st, err := f.Stat()
			if err != nil {
				return 0, err
			}
			return st.Size(), nil
		}}
}

// forgetPages unmaps the pages of b from the process without unmapping b.
func forgetPages(b []byte) error { return unix.Madvise(b, unix.MADV_DONTNEED) }
