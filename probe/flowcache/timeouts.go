package flowcache

import "time"

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
// A flow already in the cache keeps the deadline it has until its next packet, which
// sets the deadline from the new timeouts; so after a timeout is shortened, an idle
// flow may still end as late as the old timeout said.
func (c *Cache) SetTimeouts(active, inactive, finWait time.Duration) error {
	cfg := c.cfg
	cfg.ActiveTimeout, cfg.InactiveTimeout, cfg.FINWait = active, inactive, finWait
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	c.cfg = cfg
	c.activeNs = int64(cfg.ActiveTimeout)
	c.inactiveNs = int64(cfg.InactiveTimeout)
	c.finWaitNs = int64(cfg.FINWait)
	return nil
}
