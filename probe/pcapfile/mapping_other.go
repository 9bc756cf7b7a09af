//go:build !unix

package pcapfile

import "os"

// mapFile returns nil: without mmap(2) every file is read with read calls.
func mapFile(*os.File, int64) *mapping { return nil }
