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
	keys   []Key
	values []FlowCounters

	cache      *ebpf.Map // the set's cache of busy flows
	cacheSlots uint32    // slots per CPU
	slotKeys   []uint32
	slots      []flowSlot
	// parts read from the cache and not reported yet, by CPU and flow
	parts map[cachedFlow]FlowCounters
	key   flow.Key     // the flow being reported, kept here so that fn's pointers
	sum   FlowCounters // do not make every reported flow a new allocation
}

// cachedFlow names a flow's part in one CPU's cache.
type cachedFlow struct {
	cpu int
	key Key
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
	t := &Tables{maps: o.sets[s], perCPU: o.layout == PerCPUValues, cpus: 1,
		cache: o.cache[s], cacheSlots: o.slots, parts: map[cachedFlow]FlowCounters{}}
	if t.perCPU {
		n, err := ebpf.PossibleCPU()
		if err != nil {
			return nil, fmt.Errorf("count possible cpus: %w", err)
		}
		t.cpus = n
	}
	t.keys = make([]Key, drainBatch)
	t.values = make([]FlowCounters, drainBatch*t.cpus)
	n := t.cache.MaxEntries()
	t.slotKeys = make([]uint32, n)
	for i := range t.slotKeys {
		t.slotKeys[i] = uint32(i)
	}
	t.slots = make([]flowSlot, n)
	o.drain[s] = t
	return t, nil
}

// Drain removes every entry from the tables and their cache of busy flows and calls fn
// once for every flow and CPU that counted packets, with the flow's table entry and
// cache slot merged. fn must not keep the pointers it is given. Drain stops at the
// first error; what it has not reported yet stays in the tables or in the Tables, and
// a later Drain reports it.
func (t *Tables) Drain(fn func(k *flow.Key, c *FlowCounters)) error {
	if err := t.readCache(); err != nil {
		return fmt.Errorf("drain flow cache: %w", err)
	}
	for i, m := range t.maps {
		if err := t.drainMap(m, i, fn); err != nil {
			return fmt.Errorf("drain flow table %d: %w", i, err)
		}
	}
	for f, c := range t.parts {
		t.key, t.sum = f.key.Flow(), c
		fn(&t.key, &t.sum)
		delete(t.parts, f)
	}
	return nil
}

// readCache moves the parts in the cache's slots into t.parts and empties the slots.
// If emptying fails, the parts are in both places and a later Drain reports them twice;
// the kernel fails such an update of valid slots only when out of memory.
func (t *Tables) readCache() error {
	var cursor ebpf.MapBatchCursor
	read := 0
	for read < len(t.slots) {
		n, err := t.cache.BatchLookup(&cursor, t.slotKeys[read:], t.slots[read:], nil)
		read += n
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			break
		}
		if err != nil {
			return err
		}
	}
	for i := range read {
		s := &t.slots[i]
		if s.Counters.Packets == 0 {
			continue
		}
		f := cachedFlow{cpu: i / int(t.cacheSlots), key: s.Key}
		t.parts[f] = mergeParts(t.parts[f], s.Counters)
		s.Counters = FlowCounters{}
	}
	// Clearing every slot, claimed ones without packets included, gives each flow its
	// chance at a slot again in the next interval.
	clear(t.slots[:read])
	if _, err := t.cache.BatchUpdate(t.slotKeys[:read], t.slots[:read], nil); err != nil {
		return fmt.Errorf("empty %d slots: %w", read, err)
	}
	return nil
}

// mergeParts returns the counters of two parts of one flow on one CPU. The MAC
// addresses and ICMP type and code are those of the earlier part.
func mergeParts(a, b FlowCounters) FlowCounters {
	if a.Packets == 0 {
		return b
	}
	if b.FirstNs < a.FirstNs {
		a, b = b, a
	}
	a.Packets += b.Packets
	a.Bytes += b.Bytes
	a.LastNs = max(a.LastNs, b.LastNs)
	a.TCPFlags |= b.TCPFlags
	return a
}

func (t *Tables) drainMap(m *ebpf.Map, index int, fn func(k *flow.Key, c *FlowCounters)) error {
	var cursor ebpf.MapBatchCursor
	for {
		n, err := m.BatchLookupAndDelete(&cursor, t.keys, t.values, nil)
		for i := range n {
			for c := range t.cpus {
				v := &t.values[i*t.cpus+c]
				cpu := index
				if t.perCPU {
					cpu = c
				}
				f := cachedFlow{cpu: cpu, key: t.keys[i]}
				if part, ok := t.parts[f]; ok {
					*v = mergeParts(*v, part)
					delete(t.parts, f)
				}
				if v.Packets != 0 {
					t.key = t.keys[i].Flow()
					fn(&t.key, v)
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
