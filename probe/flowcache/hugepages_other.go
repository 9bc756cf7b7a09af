//go:build !linux

package flowcache

// adviseHugePages does nothing outside Linux.
func adviseHugePages([]slot) {}
