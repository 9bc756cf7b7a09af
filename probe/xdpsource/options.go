package xdpsource

import (
	"fmt"
	"time"

	"github.com/flowprobe/flowprobe/bpf/attach"
	"github.com/flowprobe/flowprobe/bpf/xdpflow"
	"github.com/flowprobe/flowprobe/probe/afxdp"
)

// DefaultDrainInterval is how often the kernel tables are read when
// Options.DrainInterval is 0. Every drain costs user space about a microsecond for
// each flow live in the interval (reading and deleting its entry, merging it into the
// flow cache), so with 100,000 live flows a 1 s interval kept flowprobe at 9 % of a
// core and 3 s at 4 % (BenchmarkXDPProbeCPU in probe/cmd/flowprobe). Three seconds
// keeps that under 5 % while delaying a flow's inactive timeout by at most as much,
// which is small next to the usual 30 s.
const DefaultDrainInterval = 3 * time.Second

// Options configures the XDP source. Only Interface is required.
type Options struct {
	// Interface is the name of the interface to attach to, looked up in the network
	// namespace of the thread that calls New.
	Interface string
	// Attach sets the XDP mode (native with generic fallback by default) and whether
	// another XDP program on the interface may be replaced.
	Attach attach.Options
	// Program sets the table layout and sizes, the drop verdict and the clock; see
	// xdpflow.Config. A table must hold the flows one CPU sees in one DrainInterval;
	// the ring buffer takes the rest.
	Program xdpflow.Config
	// Sockets configures the AF_XDP sockets, one per RX queue by default, that take
	// the frames the program redirects when Program.RedirectFirst is not 0; New sets
	// Interface and XSKMap. Unused otherwise.
	Sockets afxdp.Options
	// DrainInterval is the time between two reads of the kernel tables; 0 means
	// DefaultDrainInterval, and anything over MaxDrainInterval is cut to it. A flow's
	// partial counts reach the flow cache up to one interval late, and the cache's
	// clock follows the drains, so a flow's timeouts fire up to that much late too,
	// never before its last parts have joined it. Reading a table costs time in
	// proportion to the flows it holds plus its capacity, so a longer interval saves
	// CPU when flows are long. Handler.Tick is called every second regardless.
	DrainInterval time.Duration
}

// MaxDrainInterval bounds Options.DrainInterval.
const MaxDrainInterval = 10 * time.Second

// tickInterval is the longest time between two Handler.Tick calls.
const tickInterval = time.Second

func (o Options) withDefaults() (Options, error) {
	if o.Interface == "" {
		return o, fmt.Errorf("no interface given")
	}
	if o.DrainInterval <= 0 {
		o.DrainInterval = DefaultDrainInterval
	}
	o.DrainInterval = min(o.DrainInterval, MaxDrainInterval)
	return o, nil
}
