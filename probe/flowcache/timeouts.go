package flowcache

import (
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// CheckTimeouts reports whether SetTimeouts would accept these timeouts, read as in
// Config.
func CheckTimeouts(active, inactive, finWait time.Duration) error {
	_, err := Config{ActiveTimeout: active, InactiveTimeout: inactive,
		FINWait: finWait}.withDefaults()
	return err
}

// SetTimeouts replaces the active and inactive timeouts and the FIN wait, read as in
// Config (0 means the default, a negative FIN wait means 0). It changes nothing and
// returns an error when one is out of range. Like every other method it must be
// called from the goroutine that owns the cache.
//
// The flows already due by the old timeouts end by them first. The rest take
// deadlines from the new timeouts at once, and those now overdue end at once too. A
// closing TCP flow keeps its FIN wait deadline when that is earlier. Going over every
// flow takes a few milliseconds for a default cache.
func (c *Cache) SetTimeouts(active, inactive, finWait time.Duration) error {
	cfg := c.cfg
	cfg.ActiveTimeout, cfg.InactiveTimeout, cfg.FINWait = active, inactive, finWait
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	c.expireDue()
	c.cfg = cfg
	c.activeNs = int64(cfg.ActiveTimeout)
	c.inactiveNs = int64(cfg.InactiveTimeout)
	c.finWaitNs = int64(cfg.FINWait)
	c.rescheduleAll()
	c.emit()
	return nil
}

// expireDue ends every flow whose deadline the clock has reached.
func (c *Cache) expireDue() {
	for s, t := range c.tags {
		if t != 0 && c.now >= c.slots[s].deadline {
			c.expire(s)
		}
	}
}

// rescheduleAll gives every flow in the cache the deadline of the timeouts in force
// and ends those that are due by it.
func (c *Cache) rescheduleAll() {
	for s, t := range c.tags {
		if t == 0 {
			continue
		}
		r := &c.slots[s].rec
		deadline := c.timeoutDeadline(r)
		if r.EndReason == flow.EndOfFlow {
			deadline = min(deadline, c.slots[s].closeAt)
		}
		c.setDeadline(s, deadline)
		if deadline <= c.now {
			c.expire(s)
		}
	}
}
