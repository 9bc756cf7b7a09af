package xdpflow

import (
	"errors"
	"fmt"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// Layout says how the flow tables are organised in the kernel.
type Layout int

const (
	// PerCPUTables gives every CPU its own BPF_MAP_TYPE_HASH, found through an
	// array of maps indexed by CPU. A flow seen on two CPUs has an entry in both.
	PerCPUTables Layout = iota
	// PerCPUValues uses one BPF_MAP_TYPE_PERCPU_HASH: keys are shared by all CPUs
	// and every entry holds one value per possible CPU, so it costs that much more
	// memory per flow.
	PerCPUValues
)

// String names the layout as the benchmarks and logs print it.
func (l Layout) String() string {
	if l == PerCPUValues {
		return "percpu-hash"
	}
	return "hash-per-cpu"
}

// Config sets up the program before it is loaded. The zero value is usable.
type Config struct {
	// Layout of the flow tables; PerCPUTables by default.
	Layout Layout
	// TableEntries is the capacity of one flow table (of each CPU's table with
	// PerCPUTables); 65536 when 0. Memory for it is allocated up front, twice,
	// because the tables are double-buffered. Each CPU also has a cache of 2048
	// busy flows in front of its table, 180 KB, twice as well.
	TableEntries uint32
	// RingBytes is the size of the ring buffer for frames that find their table
	// full; a power of two and a multiple of the page size, 1 MiB when 0.
	RingBytes uint32
	// Drop makes the program drop every frame after counting it, for a port that
	// only receives mirrored traffic. By default frames pass on to the kernel.
	Drop bool
	// PreciseTime reads the precise clock for every packet. By default only a
	// flow's first packet does, and later ones take the coarse clock, read at most
	// once per CPU and kernel tick, which costs far less but lags by up to one tick
	// (1 to 10 ms), rarely two: a flow's last time can then come out that much early.
	PreciseTime bool
	// FragmentEntries is how many first IP fragments the program remembers, so that
	// later fragments of the same datagram get its ports; 4096 when 0.
	FragmentEntries uint32
	// FragmentTimeout is how long a first fragment's ports stay usable for later
	// fragments; 30 s when 0.
	FragmentTimeout time.Duration
	// RedirectFirst is how many packets of each flow direction the program hands
	// whole to the AF_XDP socket of their RX queue (stored in Objects.XSKMap)
	// instead of counting them: 0 none, RedirectAll every frame, parsed or not.
	// Redirected frames leave the kernel's network stack, and user space must parse
	// and count them. A frame whose queue has no socket is counted in the tables,
	// and so are its flow's later packets on that CPU until the next Swap.
	// The program remembers what it sent per flow in an LRU map of TableEntries
	// entries, apart from the tables so that it survives their swaps; a flow it
	// forgot sends its next RedirectFirst packets again, so a host with more live
	// flows than that may see more than RedirectFirst packets of a flow.
	RedirectFirst uint32
}

// RedirectAll as Config.RedirectFirst sends every frame to user space.
const RedirectAll = ^uint32(0)

// MaxRedirectQueues is the number of RX queues Objects.XSKMap has entries for; frames
// of higher queues are counted in the kernel.
const MaxRedirectQueues = 256

const defaultTableEntries = 65536

// Objects is the loaded XDP program with its maps. Close releases them; the program
// stays attached to an interface only as long as some link holds it.
//
// The flow tables are double-buffered: the program writes to one set while user space
// reads the other (see Swap). An Objects is not safe for concurrent use.
type Objects struct {
	// Program is the XDP program to attach.
	Program *ebpf.Program
	// Ring is the ring buffer of PacketEvents for frames that found their table full.
	Ring *ebpf.Map
	// XSKMap takes the AF_XDP socket of each RX queue, keyed by queue number, for
	// the frames Config.RedirectFirst sends to user space.
	XSKMap *ebpf.Map

	layout   Layout
	outer    *ebpf.Map
	caches   *ebpf.Map // holds the current set's cache of busy flows
	counters *ebpf.Map
	frags    *ebpf.Map
	sent     *ebpf.Map // packets redirected per flow
	sets     [2][]*ebpf.Map
	cache    [2]*ebpf.Map // each set's cache of busy flows, all CPUs' slots
	slots    uint32       // cache slots per CPU
	drain    [2]*Tables   // buffers for reading each set, made on first Swap
	active   int
}

// Load loads the program and creates its maps and both sets of flow tables. It needs
// CAP_BPF (or root); without it the error says so.
func Load(cfg Config) (*Objects, error) {
	spec, err := loadSpec(cfg.Layout)
	if err != nil {
		return nil, err
	}
	return load(spec, cfg)
}

func load(spec *ebpf.CollectionSpec, cfg Config) (*Objects, error) {
	cpus, err := ebpf.PossibleCPU()
	if err != nil {
		return nil, fmt.Errorf("count possible cpus: %w", err)
	}
	slots := 1
	if cfg.Layout == PerCPUTables {
		slots = cpus
	}
	entries := cfg.TableEntries
	if entries == 0 {
		entries = defaultTableEntries
	}

	tables := spec.Maps["tables"]
	tables.MaxEntries = uint32(slots)
	inner := tables.InnerMap.Copy()
	inner.MaxEntries = entries
	// The object sizes its cache for one CPU; every possible CPU gets as many slots.
	// The outer array accepts only arrays of the size its template has.
	cacheSpec := spec.Maps["caches"].InnerMap
	cacheSlots := cacheSpec.MaxEntries
	cacheSpec.MaxEntries = cacheSlots * uint32(cpus)
	if cfg.RingBytes != 0 {
		spec.Maps["overflow"].MaxEntries = cfg.RingBytes
	}
	if cfg.RedirectFirst != 0 {
		spec.Maps["redirected"].MaxEntries = entries
		if err := spec.Variables["cfg_redirect_first"].Set(cfg.RedirectFirst); err != nil {
			return nil, fmt.Errorf("set redirect count: %w", err)
		}
	} else {
		spec.Maps["redirected"].MaxEntries = 1 // unused; the smallest map will do
	}
	if cfg.FragmentEntries != 0 {
		spec.Maps["fragments"].MaxEntries = cfg.FragmentEntries
	}
	if cfg.FragmentTimeout > 0 {
		ns := uint64(cfg.FragmentTimeout.Nanoseconds())
		if err := spec.Variables["cfg_frag_timeout_ns"].Set(ns); err != nil {
			return nil, fmt.Errorf("set fragment timeout: %w", err)
		}
	}
	flags := []struct {
		name string
		on   bool
	}{{"cfg_drop", cfg.Drop}, {"cfg_precise_time", cfg.PreciseTime}}
	for _, f := range flags {
		if !f.on {
			continue
		}
		if err := spec.Variables[f.name].Set(uint8(1)); err != nil {
			return nil, fmt.Errorf("set %s: %w", f.name, err)
		}
	}

	var objs struct {
		Program  *ebpf.Program `ebpf:"flowprobe_xdp"`
		Tables   *ebpf.Map     `ebpf:"tables"`
		Caches   *ebpf.Map     `ebpf:"caches"`
		Overflow *ebpf.Map     `ebpf:"overflow"`
		Counters *ebpf.Map     `ebpf:"counters"`
		Frags    *ebpf.Map     `ebpf:"fragments"`
		XSKs     *ebpf.Map     `ebpf:"xsks"`
		Sent     *ebpf.Map     `ebpf:"redirected"`
	}
	if err := spec.LoadAndAssign(&objs, nil); err != nil {
		return nil, permissionHint(fmt.Errorf("load xdp flow program: %w", err))
	}
	o := &Objects{
		Program:  objs.Program,
		Ring:     objs.Overflow,
		layout:   cfg.Layout,
		outer:    objs.Tables,
		caches:   objs.Caches,
		slots:    cacheSlots,
		counters: objs.Counters,
		frags:    objs.Frags,
		XSKMap:   objs.XSKs,
		sent:     objs.Sent,
	}

	for s := range o.sets {
		for range slots {
			m, err := ebpf.NewMap(inner)
			if err != nil {
				o.Close()
				return nil, permissionHint(fmt.Errorf("create flow table of %d entries: %w",
					entries, err))
			}
			o.sets[s] = append(o.sets[s], m)
		}
		if o.cache[s], err = ebpf.NewMap(cacheSpec); err != nil {
			o.Close()
			return nil, permissionHint(fmt.Errorf("create flow cache of %d slots: %w",
				cacheSpec.MaxEntries, err))
		}
	}
	if err := o.install(0); err != nil {
		o.Close()
		return nil, err
	}
	return o, nil
}

func loadSpec(l Layout) (*ebpf.CollectionSpec, error) {
	switch l {
	case PerCPUTables:
		return loadFlowHash()
	case PerCPUValues:
		return loadFlowPercpu()
	}
	return nil, fmt.Errorf("unknown flow table layout %d", l)
}

// permissionHint adds what the process lacks when the kernel refused for want of
// privileges. The verifier's refusals also carry EACCES, so they are left as they are.
func permissionHint(err error) error {
	var verr *ebpf.VerifierError
	if errors.As(err, &verr) {
		return err
	}
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("%w (needs CAP_BPF and CAP_PERFMON, or root)", err)
	}
	return err
}

// install points every slot of the outer array at the tables of set s, and the
// cache array at its cache. The kernel waits for an RCU grace period on a single update
// of an array of maps, so when install returns no program still writes to the tables
// or the cache it replaced.
func (o *Objects) install(s int) error {
	// A single update waits for a grace period on every kernel; whether a batch
	// update waits once, once per slot or not at all depends on the kernel version.
	// So all slots but the first go in one batch, then the first alone: its grace
	// period covers all of them, and a swap costs at most two grace periods on a
	// recent kernel however many CPUs there are.
	set := o.sets[s]
	if n := len(set) - 1; n > 0 {
		slots, fds := make([]uint32, n), make([]uint32, n)
		for i, m := range set[1:] {
			slots[i], fds[i] = uint32(i+1), uint32(m.FD())
		}
		if _, err := o.outer.BatchUpdate(slots, fds, nil); err != nil {
			for i, m := range set[1:] {
				if err := o.outer.Put(uint32(i+1), m); err != nil {
					return fmt.Errorf("install flow table %d: %w", i+1, err)
				}
			}
		}
	}
	if err := o.caches.Put(uint32(0), o.cache[s]); err != nil {
		return fmt.Errorf("install flow cache: %w", err)
	}
	if err := o.outer.Put(uint32(0), set[0]); err != nil {
		return fmt.Errorf("install flow table 0: %w", err)
	}
	o.active = s
	return nil
}

// Layout reports the layout the program was loaded with.
func (o *Objects) Layout() Layout { return o.layout }

// Counters returns the program's counters summed over all CPUs.
func (o *Objects) Counters() (Counters, error) {
	var out Counters
	var perCPU []uint64
	for i := range out {
		if err := o.counters.Lookup(uint32(i), &perCPU); err != nil {
			return out, fmt.Errorf("read counter %s: %w", Counter(i), err)
		}
		for _, v := range perCPU {
			out[i] += v
		}
	}
	return out, nil
}

// Close releases the program and all maps. Links attaching the program keep it
// alive until they are closed themselves.
func (o *Objects) Close() error {
	var errs []error
	closers := []interface{ Close() error }{o.Program, o.Ring, o.outer, o.caches, o.counters,
		o.frags, o.XSKMap, o.sent}
	for _, m := range o.cache {
		closers = append(closers, m)
	}
	for _, set := range o.sets {
		for _, m := range set {
			closers = append(closers, m)
		}
	}
	for _, c := range closers {
		if c != nil {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}
