package flowcache

import "github.com/flowprobe/flowprobe/probe/flow"

// batchGroup is how many packets UpdateBatch looks up ahead at once: enough that
// their cache misses overlap, few enough that the loads of one group fit in the
// processor's window of instructions in flight.
const batchGroup = 16

// UpdateBatch accounts packets in order; the result is exactly that of calling Update
// on each. It is faster on a table larger than the processor's caches: a packet's
// bucket and slot are mostly cache misses, which Update takes one after the other,
// while UpdateBatch first loads the bucket tags of a group of packets, then the slots
// their tags point at, so that the misses of the group wait on memory together.
func (c *Cache) UpdateBatch(packets []flow.Packet) {
	for len(packets) > 0 {
		group := packets[:min(len(packets), batchGroup)]
		packets = packets[len(group):]

		hashes := c.hashes[:len(group)]
		for i := range group {
			hashes[i] = hashKey(&group[i].Key)
		}
		c.warmUp(hashes)
		for i := range group {
			c.update(&group[i], hashes[i])
		}
	}
}

// warmUp loads the tag line of each hash's bucket, then the first two lines of the
// first slot whose tag matches. Loading is all it does: a slot that turns out to be
// another flow, or one that the packets before change, costs only the wasted load.
func (c *Cache) warmUp(hashes []uint64) {
	sum := c.warm
	for _, h := range hashes {
		sum += uint64(c.tags[int(h&c.mask)*Ways])
	}
	for _, h := range hashes {
		base := int(h&c.mask) * Ways
		tag := hashTag(h)
		for i, t := range c.tags[base : base+Ways : base+Ways] {
			if t>>16 == tag {
				s := &c.slots[base+i]
				sum += uint64(s.deadline) + s.rec.Packets
				break
			}
		}
	}
	c.warm = sum
}
