//go:build !linux

package pcapfile

import "os"

// mapPcap maps nothing outside Linux: every file is read.
func mapPcap(*os.File, int64) []byte { return nil }

// unmap is never called outside Linux, where nothing is mapped.
func unmap([]byte) error { return nil }

// readAhead is never called outside Linux, where nothing is mapped.
func (p *pcapReader) readAhead() {}
