package xdpsource

import (
	"fmt"
	"time"

	"github.com/flowprobe/flowprobe/bpf/attach"
	"github.com/flowprobe/flowprobe/bpf/xdpflow"
)

// DefaultDrainInterval is how often the kernel tables are read when
// Options.DrainInterval is 0.
const DefaultDrainInterval = time.Second

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
	// DrainInterval is the time between two reads of the kernel tables and between
	// two Handler.Tick calls; 0 means, and anything longer is cut to, one second.
	DrainInterval time.Duration
}

func (o Options) withDefaults() (Options, error) {
	if o.Interface == "" {
		return o, fmt.Errorf("no interface given")
	}
	if o.DrainInterval <= 0 || o.DrainInterval > time.Second {
		o.DrainInterval = DefaultDrainInterval
	}
	return o, nil
}
