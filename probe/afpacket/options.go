package afpacket

import (
	"fmt"
	"os"
	"time"
)

// Options configures a capture. Only Interface is required.
type Options struct {
	// Interface is the name of the interface to capture on, looked up in the network
	// namespace of the thread that calls New.
	Interface string
	// Workers is the number of capture goroutines, each with its own socket and ring;
	// 0 means 1. With more than one, the sockets share a symmetric hash fanout.
	Workers int
	// Filter is an optional tcpdump-style filter expression, compiled by running
	// tcpdump (see compileFilter for why). Empty captures everything.
	Filter string
	// Snaplen caps the bytes kept per frame; 0 keeps whole frames. Frame.WireLen
	// still gives the length on the wire. A frame whose VLAN tag the kernel removed
	// gets it back after the cut, so it is 4 bytes longer than Snaplen.
	Snaplen int
	// Promiscuous puts the interface into promiscuous mode while the source is open.
	Promiscuous bool
	// IgnoreOutgoing leaves out frames the host itself sends on the interface. On a
	// loopback interface every packet is seen twice, once sent and once received,
	// unless this is set.
	IgnoreOutgoing bool

	// BlockSize is the size of one ring block in bytes, a multiple of the page size;
	// 0 means 1 MiB. A frame longer than a block is truncated to fit.
	BlockSize int
	// Blocks is the number of blocks per worker ring; 0 means 64 (64 MiB per worker
	// with the default block size). A larger ring absorbs longer bursts.
	Blocks int
	// BlockTimeout is how long the kernel fills a block before handing it over
	// partly full; 0 means 10 ms. It bounds the delay before a frame is seen.
	BlockTimeout time.Duration
	// TickInterval is the time between Handler.Tick calls; 0 means, and anything
	// longer is cut to, one second.
	TickInterval time.Duration
}

// Defaults applied by New to zero fields.
const (
	DefaultBlockSize    = 1 << 20
	DefaultBlocks       = 64
	DefaultBlockTimeout = 10 * time.Millisecond
)

// maxWorkers is the kernel's default limit on the members of one fanout group.
const maxWorkers = 256

// frameSize is the nominal frame slot size TPACKET_V3 still asks for; V3 packs frames
// of any length into a block, so it only has to divide the block size.
const frameSize = 2048

// withDefaults fills zero fields and checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.Interface == "" {
		return o, fmt.Errorf("no interface given")
	}
	if o.Workers == 0 {
		o.Workers = 1
	}
	if o.BlockSize == 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.Blocks == 0 {
		o.Blocks = DefaultBlocks
	}
	if o.BlockTimeout == 0 {
		o.BlockTimeout = DefaultBlockTimeout
	}
	if o.TickInterval <= 0 || o.TickInterval > time.Second {
		o.TickInterval = time.Second
	}

	page := os.Getpagesize()
	switch {
	case o.Workers < 0 || o.Workers > maxWorkers:
		return o, fmt.Errorf("workers: %d is outside 1..%d", o.Workers, maxWorkers)
	case o.BlockSize < page || o.BlockSize%page != 0 || o.BlockSize%frameSize != 0:
		return o, fmt.Errorf("block size: %d is not a multiple of the page size %d",
			o.BlockSize, page)
	case o.Blocks < 1:
		return o, fmt.Errorf("blocks: %d is not positive", o.Blocks)
	case uint64(o.BlockSize)*uint64(o.Blocks) > 1<<31:
		return o, fmt.Errorf("ring of %d blocks of %d bytes exceeds 2 GiB", o.Blocks,
			o.BlockSize)
	case o.BlockTimeout < time.Millisecond:
		return o, fmt.Errorf("block timeout: %v is below the kernel's 1 ms resolution",
			o.BlockTimeout)
	case o.Snaplen < 0:
		return o, fmt.Errorf("snaplen: %d is negative", o.Snaplen)
	}
	return o, nil
}
