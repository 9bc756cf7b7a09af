package pcapfile

import (
	"encoding/binary"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/internal/prefetch"
)

// A classic pcap file that is a regular file is mapped into memory instead of read:
// read(2) copied every byte of the trace from the page cache into the read buffer,
// about an eighth of a trace run's CPU time, while the parser only looks at the first
// hundred bytes or so of each frame. Compressed and pcapng files, pipes and files
// that cannot be mapped are read as before.

// dropBehind is how many bytes of the mapping are read between two calls that drop
// the pages already read from the process (they stay in the page cache). Without it
// every page of the file would count in the process's resident memory by the end.
const dropBehind = 8 << 20

// mapPcap maps the whole of f, of size bytes, when it is a classic pcap file, and
// returns nil otherwise or when mapping fails; the caller then reads f instead.
func mapPcap(f *os.File, size int64) []byte {
	if size < pcapFileHeaderLen || int64(int(size)) != size {
		return nil
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil
	}
	switch binary.LittleEndian.Uint32(data) {
	case magicPcapMicro, magicPcapNano, magicPcapMicroBE, magicPcapNanoBE:
		// The advice only tunes read-ahead; reading works the same without it.
		_ = unix.Madvise(data, unix.MADV_SEQUENTIAL)
		return data
	}
	_ = unix.Munmap(data)
	return nil
}

// unmap releases a mapping made by mapPcap.
func unmap(data []byte) error { return unix.Munmap(data) }

// Reading ahead of a mapped file. A record's offset is only known from the one
// before it, so the processor's own prefetchers, which do not cross pages, leave the
// reader waiting on memory for nearly every record. The reader instead prefetches
// every line prefetchAhead bytes ahead of it, a page at a time, and asks the kernel
// to map the pages populateAhead bytes ahead in large steps, since a prefetch skips
// a page that is not mapped yet.
const (
	prefetchAhead = 64 << 10
	populateAhead = 2 << 20
	prefetchStep  = 4096
)

// readAhead prefetches, maps ahead and drops behind the reader; next calls it when
// the reader reaches p.aheadAt.
func (p *pcapReader) readAhead() {
	if p.populated < p.end && p.populated < p.start+populateAhead {
		to := min(p.populated+populateAhead, p.end)
		// Mapping ahead only saves page faults; if the kernel is too old for it,
		// the pages are mapped when they are first read.
		_ = unix.Madvise(p.buf[p.populated:to], unix.MADV_POPULATE_READ)
		p.populated = to
	}
	for limit := min(p.start+prefetchAhead, p.end); p.prefetched < limit; {
		prefetch.Lines(unsafe.Pointer(&p.buf[p.prefetched]), prefetchStep/64)
		p.prefetched += prefetchStep
	}
	p.aheadAt = p.start + prefetchStep

	// The records handed out before are no longer valid, so nothing reads the
	// pages before the unread bytes again. Dropping them is only to keep resident
	// memory low: if the kernel refuses, reading goes on unharmed.
	if end := p.start &^ (os.Getpagesize() - 1); end-p.dropped >= dropBehind {
		_ = unix.Madvise(p.buf[p.dropped:end], unix.MADV_DONTNEED)
		p.dropped = end
	}
}
