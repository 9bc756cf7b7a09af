package flowcache

import (
	"unsafe"

	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/internal/prefetch"
)

// How far ahead of the packet being accounted UpdateBatch prefetches: a packet's
// bucket tags tagAhead packets before it is accounted, and its slot slotAhead
// packets before, by when its tags have arrived. Each distance should cover the
// time a miss takes; the hash ring holds the hashes in between.
const (
	tagAhead  = 16
	slotAhead = 8
	hashRing  = 32 // a power of two above tagAhead
)

// UpdateBatch accounts packets in order; the result is exactly that of calling Update
// on each. It is faster on a table larger than the processor's caches: a packet's
// bucket and slot are mostly cache misses, which Update waits for one after the
// other, while UpdateBatch prefetches the buckets and slots of the packets ahead so
// that their misses overlap with the accounting of the packets before them.
func (c *Cache) UpdateBatch(packets []flow.Packet) {
	n := len(packets)
	ring := &c.hashes
	for i := range min(n, tagAhead) {
		ring[i] = c.prefetchBucket(&packets[i].Key)
	}
	for i := range min(n, slotAhead) {
		c.prefetchSlot(ring[i])
	}
	for i := range packets {
		if j := i + tagAhead; j < n {
			ring[j%hashRing] = c.prefetchBucket(&packets[j].Key)
		}
		if j := i + slotAhead; j < n {
			c.prefetchSlot(ring[j%hashRing])
		}
		c.update(&packets[i], ring[i%hashRing])
	}
}

// prefetchBucket hashes k, starts loading the tags of its bucket and returns the
// hash.
func (c *Cache) prefetchBucket(k *flow.Key) uint64 {
	h := hashKey(k)
	prefetch.Line(unsafe.Pointer(&c.tags[int(h&c.mask)*Ways]))
	return h
}

// prefetchSlot starts loading the two lines a packet reads of the first slot whose
// tag matches hash h. It only loads: a slot that turns out to hold another flow, or
// that the packets before change, costs only the wasted load.
func (c *Cache) prefetchSlot(h uint64) {
	base := int(h&c.mask) * Ways
	tag := hashTag(h)
	for i, t := range c.tags[base : base+Ways : base+Ways] {
		if t>>16 == tag {
			s := unsafe.Pointer(&c.slots[base+i])
			prefetch.Line(s)
			prefetch.Line(unsafe.Add(s, 64))
			return
		}
	}
}
