package flowcache

import (
	"math"
	"time"
	"unsafe"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// Sink receives batches of finished records. It takes ownership of batch and returns
// an empty slice (length 0, capacity at least 1) that the cache fills next. Returning
// batch[:0] is allowed once the records have been copied out.
type Sink func(batch []flow.Record) []flow.Record

// Stats counts what a Cache did. Every record ever created ends up in exactly one of
// the Ended counters once the cache is flushed.
type Stats struct {
	Packets uint64 // packets given to Update
	Merged  uint64 // partial flows given to Merge
	Created uint64 // flow records opened, a stray's record of its own included
	Active  int    // flows in the cache now
	// ClockSetBack counts the times the clock was found set back, by more than the
	// inactive timeout, and restarted: every flow then ended as at Flush.
	ClockSetBack uint64
	// Ended counts records handed to the Sink, indexed by flow.EndReason.
	Ended [flow.EndLackOfResource + 1]uint64
}

// slot holds one flow. A slot is padded to whole 64-byte cache lines, and the slot
// array of a real cache is large enough that Go allocates it page-aligned, so every
// slot starts a line: the deadline, the key and the counters then fill the first two
// lines, which is all a packet of a known flow touches. Unpadded (168 bytes), slots
// straddled lines and a packet touched up to three.
type slot struct {
	// deadline is the packet time at which the flow ends: the earliest of its
	// inactive and active timeouts and, once closing, its FIN wait.
	deadline int64
	rec      flow.Record
	// closeAt is when a closing TCP flow ends by its RST or FIN wait, whatever the
	// timeouts; it is set with rec.EndReason EndOfFlow and read only then. It lies
	// past the two lines a packet of an open flow touches.
	closeAt int64
	_       [slotPad]byte
}

// slotPad rounds a slot up to a multiple of 64 bytes.
const slotPad = (64 - (16+unsafe.Sizeof(flow.Record{}))%64) % 64

// hotBytes is how much of a slot a packet of a known flow reads and writes: up to the
// end of the record's IfIndex, the last field before the MACs and the tunnel. The line
// below stops the build if a change of flow.Record pushes it past two cache lines.
const hotBytes = unsafe.Offsetof(slot{}.rec) + unsafe.Offsetof(flow.Record{}.IfIndex) + 4

var _ [2*64 - hotBytes]byte

// Cache turns packets into flow records; see the package comment for the rules.
type Cache struct {
	cfg Config

	// Slot s of bucket b is index b*Ways+s in tags and slots. The tags of a bucket
	// share one cache line, so a lookup reads one line of tags and then only the
	// slot whose tag matches. A tag word holds 16 bits of the key's hash (never 0)
	// above the low 16 bits of the deadline in whole seconds, which lets the sweep
	// find due flows by reading tags alone; a word of 0 marks a free slot.
	tags  []uint32
	slots []slot
	mask  uint64 // bucket count - 1

	activeNs, inactiveNs, finWaitNs int64

	sweep sweeper

	out  []flow.Record
	sink Sink

	// now is the latest packet or tick time seen (tick time alone with ExternalClock);
	// before the first, the earliest time, by which no flow is due.
	now   int64
	stats Stats
	// farBack counts the times in a row that are earlier than now by more than the
	// inactive timeout, a tick's only when later than the time before it;
	// farBackAt is the last of them. See restartClock.
	farBack   int
	farBackAt int64

	// hashes holds UpdateBatch's hashes of the packets between the one it accounts
	// and the last one it prefetched for.
	hashes [hashRing]uint64
}

// New returns a Cache that hands finished records to sink in batches of
// cfg.BatchSize. It allocates all the memory the cache will use.
func New(cfg Config, sink Sink) (*Cache, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	buckets := cfg.Capacity / Ways
	c := &Cache{
		cfg:        cfg,
		tags:       make([]uint32, cfg.Capacity),
		slots:      make([]slot, cfg.Capacity),
		mask:       uint64(buckets - 1),
		activeNs:   int64(cfg.ActiveTimeout),
		inactiveNs: int64(cfg.InactiveTimeout),
		finWaitNs:  int64(cfg.FINWait),
		out:        make([]flow.Record, 0, cfg.BatchSize),
		sink:       sink,
		now:        math.MinInt64,
	}
	if !cfg.SmallPages {
		adviseHugePages(c.slots)
	}
	c.sweep.init(buckets, int64(cfg.SweepPeriod))
	return c, nil
}

// Config returns the configuration in effect, defaults filled in.
func (c *Cache) Config() Config { return c.cfg }

// Stats returns the counters so far.
func (c *Cache) Stats() Stats { return c.stats }

// Update accounts one packet to its flow, opening a flow when there is none. A packet
// far behind the clock that does not set it back (see restartClock) makes a record
// of its own instead.
func (c *Cache) Update(p *flow.Packet) { c.update(p, hashKey(&p.Key)) }

// update is Update with the hash of p's key already computed.
func (c *Cache) update(p *flow.Packet, h uint64) {
	c.stats.Packets++
	if c.arrive(p.Timestamp) {
		c.exportStrayPacket(p)
		return
	}

	slot, reverse := c.lookup(&p.Key, h, p.TCPFlags)
	if slot < 0 {
		slot = c.open(&p.Key, h, p.Timestamp)
		r := &c.slots[slot].rec
		r.SrcMAC, r.DstMAC = p.SrcMAC, p.DstMAC
		r.ICMPTypeCode = p.ICMPTypeCode
		r.IfIndex = p.IfIndex
		r.Direction = p.Direction
		r.Tunnel = p.Tunnel
	}

	r := &c.slots[slot].rec
	if reverse {
		r.PacketsRev++
		r.BytesRev += uint64(p.IPBytes)
		r.TCPFlagsRev |= p.TCPFlags
	} else {
		r.Packets++
		r.Bytes += uint64(p.IPBytes)
		r.TCPFlags |= p.TCPFlags
	}
	c.touch(slot, p.Timestamp, p.Timestamp, p.TCPFlags)
}

// lookup returns the slot of the flow that key k (of hash h) belongs to and whether k
// is its reverse direction, or -1 when there is none. A flow that is over its deadline
// by the cache clock, or a closing TCP flow that sees a new SYN, is exported first and
// reported as absent. Judging by the clock rather than by the packet's own time keeps
// a late packet from joining a flow that is due, whether or not the sweep has come
// to it yet.
func (c *Cache) lookup(k *flow.Key, h uint64, tcpFlags uint8) (int, bool) {
	tag := hashTag(h)
	base := int(h&c.mask) * Ways
	tags := c.tags[base : base+Ways : base+Ways]

	kw := wordsOf(k)
	for i, t := range tags {
		if t>>16 != tag {
			continue
		}
		s := base + i
		r := &c.slots[s].rec
		rw := wordsOf(&r.Key)
		reverse := false
		if !rw.equal(kw) {
			if c.cfg.Split || !rw.equalReverse(kw) {
				continue
			}
			reverse = true
		}
		if c.now >= c.slots[s].deadline || r.EndReason == flow.EndOfFlow &&
			tcpFlags&(flow.TCPSyn|flow.TCPAck) == flow.TCPSyn {
			c.expire(s)
			return -1, false
		}
		return s, reverse
	}
	return -1, false
}

// open claims a slot for a new flow of key k (hash h), pushing out the flow closest to its
// deadline when the bucket is full, and returns it with counters at zero.
func (c *Cache) open(k *flow.Key, h uint64, ts int64) int {
	base := int(h&c.mask) * Ways
	tags := c.tags[base : base+Ways : base+Ways]

	slot := -1
	for i, t := range tags {
		if t == 0 {
			slot = base + i
			break
		}
	}
	if slot < 0 {
		slot = base
		for i := 1; i < Ways; i++ {
			if c.slots[base+i].deadline < c.slots[slot].deadline {
				slot = base + i
			}
		}
		c.evict(slot)
	}

	c.tags[slot] = hashTag(h) << 16
	c.slots[slot].rec = flow.Record{Key: *k, TimeFirst: ts, TimeLast: ts}
	c.stats.Created++
	c.stats.Active++
	return slot
}

// touch extends the flow times of slot to cover first..last and moves its deadline;
// a flow that is due by the cache clock (a late packet of a flow that reached its
// active timeout or FIN wait meanwhile, say) leaves at once.
func (c *Cache) touch(slot int, first, last int64, tcpFlags uint8) {
	r := &c.slots[slot].rec
	r.TimeFirst = min(r.TimeFirst, first)
	r.TimeLast = max(r.TimeLast, last)

	deadline := c.timeoutDeadline(r)
	switch {
	case tcpFlags&flow.TCPRst != 0:
		deadline = last
		c.slots[slot].closeAt = last
		r.EndReason = flow.EndOfFlow
	case tcpFlags&flow.TCPFin != 0 && r.EndReason != flow.EndOfFlow:
		c.slots[slot].closeAt = last + c.finWaitNs
		deadline = min(deadline, c.slots[slot].closeAt)
		r.EndReason = flow.EndOfFlow
	case r.EndReason == flow.EndOfFlow:
		deadline = min(deadline, c.slots[slot].closeAt)
	}
	c.setDeadline(slot, deadline)
	if deadline <= c.now { // due already, by the cache clock
		c.expire(slot)
	}
}

// timeoutDeadline is when the flow r ends by the active and inactive timeouts.
func (c *Cache) timeoutDeadline(r *flow.Record) int64 {
	return min(r.TimeLast+c.inactiveNs, r.TimeFirst+c.activeNs)
}

// setDeadline records the deadline of the flow in slot, in the slot and in its tag.
func (c *Cache) setDeadline(slot int, deadline int64) {
	c.slots[slot].deadline = deadline
	c.tags[slot] = c.tags[slot]&^0xffff | uint32(coarseSeconds(deadline))
}

// hashTag is the part of hash h kept in a tag word: 16 bits that the bucket index
// did not use, never 0.
func hashTag(h uint64) uint32 { return uint32(h>>48) | 1 }

// coarseSeconds is the low 16 bits of t in whole seconds. Comparing two of them as a
// signed 16-bit difference orders the times as long as they are less than 2^15 s
// apart.
func coarseSeconds(t int64) uint16 { return uint16(t / int64(time.Second)) }

// expire exports the flow in slot, which is due. Its reason is that of the deadline
// it reached first, whatever the time now, so that a late sweep or a jump in packet
// time gives the same records.
func (c *Cache) expire(slot int) {
	r := &c.slots[slot].rec
	reason := r.EndReason
	if reason != flow.EndOfFlow {
		reason = c.timeoutReason(r)
	}
	c.release(slot, reason)
}

// timeoutReason is the timeout that r reaches first: EndIdle or EndActive.
func (c *Cache) timeoutReason(r *flow.Record) flow.EndReason {
	if r.TimeLast+c.inactiveNs <= r.TimeFirst+c.activeNs {
		return flow.EndIdle
	}
	return flow.EndActive
}

// evict pushes out the flow in slot to make room: it leaves with its own reason when
// it was due anyway by the cache clock, else with EndLackOfResource.
func (c *Cache) evict(slot int) {
	if c.now >= c.slots[slot].deadline {
		c.expire(slot)
		return
	}
	c.release(slot, flow.EndLackOfResource)
}

// release frees slot and queues its record with the given end reason.
func (c *Cache) release(slot int, reason flow.EndReason) {
	c.tags[slot] = 0
	c.stats.Active--
	c.queue(&c.slots[slot].rec, reason)
}

// arrive moves the clock to t, the time of a packet or part, unless the clock is
// external, and reports whether t is a stray: far behind the clock and not believed to
// set it back (see restartClock), so that its data must make a record of its own.
func (c *Cache) arrive(t int64) bool {
	if !c.cfg.ExternalClock {
		c.advance(t, false)
		return c.farBack > 0
	}
	// An ExternalClock ticks only once everything before has been handed over, so
	// data this far behind it cannot be late: it is a stray.
	return c.farBehind(t)
}

// farBehind reports whether t is earlier than the clock by more than the inactive
// timeout. Before the first time the clock reads the earliest time, so nothing is.
func (c *Cache) farBehind(t int64) bool {
	return t < c.now && uint64(c.now)-uint64(t) > uint64(c.inactiveNs)
}

// exportStrayPacket exports p, whose time is far back and not yet believed, as a
// record of its own; see exportStray.
func (c *Cache) exportStrayPacket(p *flow.Packet) {
	c.exportStray(&flow.Record{Key: p.Key, SrcMAC: p.SrcMAC, DstMAC: p.DstMAC,
		Packets: 1, Bytes: uint64(p.IPBytes), TCPFlags: p.TCPFlags,
		ICMPTypeCode: p.ICMPTypeCode, TimeFirst: p.Timestamp, TimeLast: p.Timestamp,
		IfIndex: p.IfIndex, Direction: p.Direction, Tunnel: p.Tunnel})
}

// exportStray exports r, made of a packet or part whose time is far back and not yet
// believed (see restartClock), as a record of its own: joining the open flow of its
// key would stretch that flow's times to the stray's and end it.
func (c *Cache) exportStray(r *flow.Record) {
	c.stats.Created++
	reason := c.timeoutReason(r)
	if (r.TCPFlags|r.TCPFlagsRev)&(flow.TCPFin|flow.TCPRst) != 0 {
		reason = flow.EndOfFlow
	}
	c.queue(r, reason)
}

// queue adds a copy of r to the records for the sink, with the given end reason.
func (c *Cache) queue(r *flow.Record, reason flow.EndReason) {
	c.stats.Ended[reason]++
	c.out = append(c.out, *r)
	c.out[len(c.out)-1].EndReason = reason
	if len(c.out) >= c.cfg.BatchSize {
		c.emit()
	}
}

// emit hands the queued records to the sink.
func (c *Cache) emit() {
	if len(c.out) == 0 {
		return
	}
	c.out = c.sink(c.out)[:0]
}
