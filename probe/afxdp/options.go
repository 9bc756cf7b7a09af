package afxdp

import (
	"fmt"
	"math/bits"
	"os"
	"time"

	"github.com/cilium/ebpf"

	"github.com/flowprobe/flowprobe/bpf/attach"
)

// BindMode is how a socket gets frames from the driver.
type BindMode int

// Bind modes.
const (
	// BindAuto tries zero-copy mode and falls back to copy mode.
	BindAuto BindMode = iota
	// BindZeroCopy has the driver receive straight into the UMEM; it fails on
	// drivers without AF_XDP support.
	BindZeroCopy
	// BindCopy has the kernel copy every frame into the UMEM; it works with every
	// driver.
	BindCopy
)

// String names the mode.
func (m BindMode) String() string {
	switch m {
	case BindZeroCopy:
		return "zero-copy"
	case BindCopy:
		return "copy"
	}
	return "auto"
}

// Options configures a capture. Only Interface is required.
type Options struct {
	// Interface is the name of the interface to capture on, looked up in the network
	// namespace of the thread that calls New.
	Interface string
	// Queues lists the RX queues to open a socket on; empty means every RX queue of
	// the interface, counted through ethtool's channel settings. Frames that arrive
	// on other queues go to the kernel's network stack and are not captured.
	Queues []int
	// Bind chooses zero-copy or copy mode; BindAuto by default.
	Bind BindMode
	// Promiscuous puts the interface into promiscuous mode while the source is
	// open, as a mirror port needs: XDP only sees the frames the NIC accepts.
	Promiscuous bool

	// XSKMap is an XSKMAP through which the caller's own XDP program redirects
	// frames, with bpf_redirect_map(&map, ctx->rx_queue_index, XDP_PASS) or the
	// like. New stores every socket in it under its RX queue number, and Close
	// removes them; loading and attaching the program is the caller's job, best
	// done after New so no frame is redirected to an empty entry. The map must have
	// more entries than the highest queue number, and serves one interface only,
	// since its keys are queue numbers. When nil, New loads and attaches a program
	// that redirects every frame of the opened queues.
	XSKMap *ebpf.Map
	// Attach sets how the source's own program attaches when XSKMap is nil;
	// attach.ModeAuto (native, else generic) by default.
	Attach attach.Mode

	// Frames is the number of UMEM frames per socket; 0 means 8192 (16 MiB with
	// the default frame size). A frame is on the fill ring, being received into,
	// or on the RX ring, so FillRingSize + RxRingSize frames keep the fill ring
	// full even while the RX ring is; more are never used. Together they are how
	// long a worker may be kept off the CPU without loss: 8192 frames are 8 ms at
	// 1 Mpps. Each socket locks Frames × FrameSize bytes of memory, so a NIC with
	// many queues may call for fewer frames or fewer Queues.
	Frames int
	// FrameSize is the size of one UMEM frame in bytes, a power of two from 2048
	// to the page size; 0 means 2048. In copy mode the kernel keeps 256 bytes of
	// each frame as headroom, so 2048 holds frames up to 1792 bytes; larger frames
	// are dropped by the kernel and counted in Stats.Dropped.
	FrameSize int
	// FillRingSize is the number of entries of each fill ring, a power of two;
	// 0 means 4096.
	FillRingSize int
	// RxRingSize is the number of entries of each RX ring, a power of two; 0 means
	// 4096. It bounds the burst the kernel can queue while a worker is busy.
	RxRingSize int
	// TickInterval is the time between Handler.Tick calls; 0 means, and anything
	// longer is cut to, one second.
	TickInterval time.Duration
	// BatchWait is how long a worker sleeps after emptying its RX ring before it
	// looks again, instead of waiting in poll; 0 means 50 µs and a negative value
	// turns it off. Without it a worker that keeps up is woken for nearly every
	// frame, which costs the kernel a wake-up per frame on the receive path. The
	// RX ring must hold the frames of one BatchWait plus the kernel's timer slack
	// (50 µs by default) at the peak rate: 4096 entries hold 200 µs of 20 Mpps.
	// An idle worker still sleeps in poll.
	BatchWait time.Duration
}

// Defaults applied by New to zero fields.
const (
	DefaultFrames       = 8192
	DefaultFrameSize    = 2048
	DefaultFillRingSize = 4096
	DefaultRxRingSize   = 4096
	DefaultBatchWait    = 50 * time.Microsecond
)

// completionRingSize sizes the completion ring, which the kernel insists on for
// every UMEM but which a socket that never transmits leaves empty.
const completionRingSize = 64

// withDefaults fills zero fields and checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.Interface == "" {
		return o, fmt.Errorf("no interface given")
	}
	if o.Frames == 0 {
		o.Frames = DefaultFrames
	}
	if o.FrameSize == 0 {
		o.FrameSize = DefaultFrameSize
	}
	if o.FillRingSize == 0 {
		o.FillRingSize = DefaultFillRingSize
	}
	if o.RxRingSize == 0 {
		o.RxRingSize = DefaultRxRingSize
	}
	if o.TickInterval <= 0 || o.TickInterval > time.Second {
		o.TickInterval = time.Second
	}
	switch {
	case o.BatchWait == 0:
		o.BatchWait = DefaultBatchWait
	case o.BatchWait < 0:
		o.BatchWait = 0
	}

	page := os.Getpagesize()
	switch {
	case !powerOfTwo(o.FrameSize) || o.FrameSize < 2048 || o.FrameSize > page:
		return o, fmt.Errorf("frame size: %d is not a power of two from 2048 to %d",
			o.FrameSize, page)
	case o.Frames < 1 || uint64(o.Frames)*uint64(o.FrameSize) > 1<<30:
		return o, fmt.Errorf("frames: %d frames of %d bytes is outside 1 frame..1 GiB",
			o.Frames, o.FrameSize)
	case !powerOfTwo(o.FillRingSize) || o.FillRingSize > 1<<20:
		return o, fmt.Errorf("fill ring size: %d is not a power of two up to 2^20",
			o.FillRingSize)
	case !powerOfTwo(o.RxRingSize) || o.RxRingSize > 1<<20:
		return o, fmt.Errorf("rx ring size: %d is not a power of two up to 2^20",
			o.RxRingSize)
	case o.BatchWait > 10*time.Millisecond:
		return o, fmt.Errorf("batch wait: %v is over 10 ms", o.BatchWait)
	case o.Bind < BindAuto || o.Bind > BindCopy:
		return o, fmt.Errorf("bind mode: unknown mode %d", o.Bind)
	}
	seen := make(map[int]bool, len(o.Queues))
	for _, q := range o.Queues {
		if q < 0 || seen[q] {
			return o, fmt.Errorf("queues: %v lists a negative or repeated queue", o.Queues)
		}
		seen[q] = true
	}
	return o, nil
}

func powerOfTwo(n int) bool { return n > 0 && bits.OnesCount(uint(n)) == 1 }
