package flowcache

import (
	"fmt"
	"time"
)

// Ways is the number of slots in one bucket. A lookup compares at most Ways hash tags,
// which fill one 64-byte cache line.
const Ways = 16

// Defaults of Config, the values ipfixprobe users know.
const (
	DefaultCapacity        = 1 << 18
	DefaultActiveTimeout   = 300 * time.Second
	DefaultInactiveTimeout = 30 * time.Second
	DefaultFINWait         = time.Second
	DefaultSweepPeriod     = time.Second
	DefaultBatchSize       = 256
	// MaxTimeout bounds every timeout: the sweep keeps deadlines in 16 bits of
	// seconds, which order correctly only within that range.
	MaxTimeout = (1 << 14) * time.Second
)

// Config sets up a Cache. The zero value of a field means its default, except FINWait,
// where a negative value means 0 (end at the FIN itself).
type Config struct {
	// Capacity is the number of flows the cache holds; it is rounded up to a power of
	// two and to at least one bucket.
	Capacity int
	// ActiveTimeout ends a flow this long after its first packet.
	ActiveTimeout time.Duration
	// InactiveTimeout ends a flow this long after its last packet.
	InactiveTimeout time.Duration
	// FINWait is how long a flow that saw a TCP FIN waits for the rest of the close.
	FINWait time.Duration
	// SweepPeriod is the packet time one pass of the expiry sweep over the table takes.
	SweepPeriod time.Duration
	// Split makes every direction its own flow (uniflows) instead of one biflow.
	Split bool
	// BatchSize is how many finished records are collected before they go to the Sink.
	BatchSize int
	// ExternalClock moves the cache clock only by Advance: the times of packets and
	// merged partial flows do not move it, and a flow is due when its deadline has
	// passed by the clock. It is for a source whose data reaches the cache later than
	// its packet times, as partial flows drained from the XDP program's tables do:
	// with its Tick times saying up to when everything has been handed over, no
	// flow ends before the last of its parts has joined it.
	ExternalClock bool
	// SmallPages leaves the slot array on the system's default page size instead of
	// asking for 2 MB pages. Huge pages make every lookup cheaper once the cache is
	// warm, but Linux clears each one on its first touch, and in a virtual machine
	// that hands free memory back to its host that first touch costs far more: on the
	// project's 2-vCPU test machine, 175 to 220 ms for 64 MB against 30 to 40 ms with
	// 4 kB pages, a large part of a run over a short trace file.
	SmallPages bool
}

func (c Config) withDefaults() (Config, error) {
	fields := []struct {
		name  string
		value *time.Duration
		def   time.Duration
	}{
		{"active timeout", &c.ActiveTimeout, DefaultActiveTimeout},
		{"inactive timeout", &c.InactiveTimeout, DefaultInactiveTimeout},
		{"fin wait", &c.FINWait, DefaultFINWait},
		{"sweep period", &c.SweepPeriod, DefaultSweepPeriod},
	}
	for _, f := range fields {
		if *f.value == 0 {
			*f.value = f.def
		}
	}
	if c.FINWait < 0 {
		c.FINWait = 0
	}
	if c.ActiveTimeout < 0 || c.InactiveTimeout < 0 || c.SweepPeriod < 0 {
		return c, fmt.Errorf("flow cache config: negative timeout (active %v, inactive %v,"+
			" sweep %v)", c.ActiveTimeout, c.InactiveTimeout, c.SweepPeriod)
	}
	if limit := MaxTimeout; c.ActiveTimeout > limit ||
		c.InactiveTimeout > limit || c.FINWait > limit || c.SweepPeriod > limit {
		return c, fmt.Errorf("flow cache config: timeouts and the sweep period must be at"+
			" most %v (active %v, inactive %v, fin wait %v, sweep %v)", limit,
			c.ActiveTimeout, c.InactiveTimeout, c.FINWait, c.SweepPeriod)
	}
	if c.Capacity < 0 || c.BatchSize < 0 {
		return c, fmt.Errorf("flow cache config: negative capacity %d or batch size %d",
			c.Capacity, c.BatchSize)
	}
	if c.Capacity == 0 {
		c.Capacity = DefaultCapacity
	}
	if c.Capacity > 1<<30 {
		return c, fmt.Errorf("flow cache config: capacity %d is over the limit of 2^30",
			c.Capacity)
	}
	n := Ways
	for n < c.Capacity {
		n <<= 1
	}
	c.Capacity = n
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	return c, nil
}
