package flowcache

import (
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// sweepSteps is how many slices one pass of the sweep is cut into: small enough that
// a slice is quick, large enough that a pass does not wait on many tiny time steps.
const sweepSteps = 64

// sweeper walks the table one slice of buckets at a time as time moves on.
type sweeper struct {
	buckets int   // buckets in the table
	step    int   // buckets per slice
	stepNs  int64 // time between two slices
	next    int64 // time the next slice is due
	// maxLag is how far now may be past next for the coarse deadlines in the tags to
	// be trusted. A flow the sweep finds in a slice had its deadline after the slice's
	// previous visit, which was at most one pass before next, so a flow can be
	// overdue by maxLag plus one pass, and that must stay within coarseSpan.
	maxLag  int64
	cursor  int  // first bucket of the next slice
	started bool // whether a time was seen yet
}

func (w *sweeper) init(buckets int, periodNs int64) {
	w.buckets = buckets
	w.step = max(buckets/sweepSteps, 1)
	slices := (buckets + w.step - 1) / w.step
	w.stepNs = max(periodNs/int64(slices), 1)
	w.maxLag = coarseSpan - int64(slices)*w.stepNs
}

// advance moves the cache's clock to now, a tick's time or else a packet's or part's,
// and runs the sweep slices that are due. A jump in time of more than one pass runs
// one full pass, not many.
func (c *Cache) advance(now int64, tick bool) {
	w := &c.sweep
	if !w.started {
		w.started = true
		c.now = now
		w.next = now + w.stepNs
		// With ExternalClock, flows may have come before the clock started: no pass
		// has bounded their deadlines yet, so read every one once.
		if c.stats.Active > 0 {
			c.sweepSlice(0, w.buckets, now, true)
		}
		return
	}
	if c.farBehind(now) {
		// Set back, or one stray time: with times from packets, a set back is taken
		// only when a second time in a row agrees, within the inactive timeout, with
		// the first. A tick no later than the time before it (one claiming a stray
		// packet's own time, as a live source behind its ring does) says nothing new.
		switch {
		case c.farBack > 0 && !within(now, c.farBackAt, c.inactiveNs):
			c.farBack, c.farBackAt = 1, now // another stray, unrelated to the first
		case !tick || c.farBack == 0 || now > c.farBackAt:
			c.farBack++
			c.farBackAt = now
		}
		if c.cfg.ExternalClock || c.farBack > 1 {
			c.restartClock(now)
		}
		return
	}
	c.farBack = 0
	if now <= c.now {
		return
	}
	c.now = now
	if now < w.next {
		return
	}
	if now-w.next > w.maxLag {
		// Coarse deadlines this far back compare wrongly: read every deadline.
		c.sweepSlice(0, w.buckets, now, true)
		w.next = now + w.stepNs
		return
	}
	for swept := 0; now >= w.next && swept < w.buckets; swept += w.step {
		c.sweepSlice(w.cursor, min(w.cursor+w.step, w.buckets), now, false)
		w.cursor += w.step
		if w.cursor >= w.buckets {
			w.cursor = 0
		}
		w.next += w.stepNs
	}
	if now >= w.next {
		w.next = now + w.stepNs
	}
}

// within reports whether times a and b are at most d apart, without overflow.
func within(a, b, d int64) bool {
	if a < b {
		a, b = b, a
	}
	return uint64(a)-uint64(b) <= uint64(d)
}

// coarseSpan is how far a flow may be overdue for the coarse seconds of its deadline
// and of the time now to compare right: 2^15 s (see coarseSeconds) less the two
// seconds that rounding both to whole seconds can add.
const coarseSpan = (1<<15 - 3) * int64(time.Second)

// restartClock ends every flow as Flush does and sets the clock to now, which is
// earlier than the clock by more than the inactive timeout. Time that far back means
// the clock was set back (a step of the system clock on a live capture, traces joined
// out of order): measured on the old clock, every flow would be due at once and each
// packet would make a record of its own until the new clock caught up. One packet that
// far back among packets on the old clock is rather a stray, whose bad time should
// cost one record, not every flow: so a set back needs two times in a row, within
// the inactive timeout of each other, the second later than the first if it is a
// tick's (or one tick of an ExternalClock), to be believed. A stray time far ahead is
// believed at once: the shortcoming is that one such time ends every flow by its
// timeouts, and the packets after it then restart the clock.
func (c *Cache) restartClock(now int64) {
	c.endAll()
	c.stats.ClockSetBack++
	c.farBack = 0
	c.now = now
	c.sweep.next = now + c.sweep.stepNs
}

// sweepSlice exports the flows of buckets [from, to) whose deadline has passed. It
// reads a flow's slot only when the coarse deadline in its tag says it may be due,
// unless precise is set.
func (c *Cache) sweepSlice(from, to int, now int64, precise bool) {
	nowSec := coarseSeconds(now)
	base := from * Ways
	for i, t := range c.tags[base : to*Ways] {
		if t == 0 || !precise && int16(nowSec-uint16(t)) < 0 {
			continue
		}
		if s := base + i; now >= c.slots[s].deadline {
			c.expire(s)
		}
	}
}

// Advance tells the cache the time is now (Unix nanoseconds): it runs the sweep that
// is due and hands any finished records to the sink, even a part batch, so that a
// quiet link does not hold records back. Time does not move backwards: an earlier now
// only flushes the batch, unless it is earlier by more than the inactive timeout,
// which restarts the clock with an ExternalClock, and otherwise once it confirms a
// packet time that far back before it (see restartClock and Stats.ClockSetBack).
func (c *Cache) Advance(now int64) {
	c.advance(now, true)
	c.emit()
}

// Flush ends every flow: those already over their deadline, and TCP flows waiting
// out their FIN, with their own reason, the rest with EndForced, and hands all
// records to the sink. The cache stays usable.
func (c *Cache) Flush() {
	c.endAll()
	c.emit()
}

// endAll ends every flow as Flush describes and queues the records.
func (c *Cache) endAll() {
	for s := range c.tags {
		if c.tags[s] == 0 {
			continue
		}
		if c.now >= c.slots[s].deadline || c.slots[s].rec.EndReason == flow.EndOfFlow {
			c.expire(s)
		} else {
			c.release(s, flow.EndForced)
		}
	}
}
