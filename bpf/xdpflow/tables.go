package xdpflow

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// drainBatch is how many entries one batch system call moves. A hash bucket larger
// than this makes the kernel refuse the batch, and buckets hold a handful of entries.
const drainBatch = 4096

// Tables is a set of flow tables that no program writes to any more, returned by
// Swap so that user space can read and empty it.
type Tables struct {
	maps   []*ebpf.Map
	perCPU bool
	cpus   int
	keys   []flow.Key
	values []FlowCounters
}

// Swap installs the idle set of flow tables and returns the set the program was
// writing to. When Swap returns, the kernel has waited for every program run that
// could still hold the old tables, so they no longer change: reading them loses no
// packet that was counted and counts none twice.
//
// The returned Tables must be drained before the next Swap installs them again; if
// a Drain failed part way, the entries it did not report stay in the tables and are
// reported by a later Drain, never twice. At shutdown, detach the program first, then
// Swap and Drain twice: a run that began before the detach may write to the set the
// first Swap installs, and that Swap's grace period waits for it to end.
func (o *Objects) Swap() (*Tables, error) {
	old := o.active
	if err := o.install(1 - old); err != nil {
		return nil, err
	}
	return o.tables(old)
}

// tables returns the Tables of set s, made on first use and kept, so that draining
// reuses its buffers.
func (o *Objects) tables(s int) (*Tables, error) {
	if o.drain[s] != nil {
		return o.drain[s], nil
	}
	t := &Tables{maps: o.sets[s], perCPU: o.layout == PerCPUValues, cpus: 1}
	if t.perCPU {
		n, err := ebpf.PossibleCPU()
		if err != nil {
			return nil, fmt.Errorf("count possible cpus: %w", err)
		}
		t.cpus = n
	}
	t.keys = make([]flow.Key, drainBatch)
	t.values = make([]FlowCounters, drainBatch*t.cpus)
	o.drain[s] = t
	return t, nil
}

// Drain removes every entry from the tables and calls fn once for every flow and CPU
// that counted packets. fn must not keep the pointers it is given. Drain stops at the
// first error; what it has not reported yet stays in the tables.
func (t *Tables) Drain(fn func(k *flow.Key, c *FlowCounters)) error {
	for i, m := range t.maps {
		if err := t.drainMap(m, fn); err != nil {
			return fmt.Errorf("drain flow table %d: %w", i, err)
		}
	}
	return nil
}

func (t *Tables) drainMap(m *ebpf.Map, fn func(k *flow.Key, c *FlowCounters)) error {
	var cursor ebpf.MapBatchCursor
	for {
		n, err := m.BatchLookupAndDelete(&cursor, t.keys, t.values, nil)
		for i := range n {
			for c := range t.cpus {
				v := &t.values[i*t.cpus+c]
				if v.Packets != 0 {
					fn(&t.keys[i], v)
				}
			}
		}
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
