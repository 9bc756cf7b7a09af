package config

import "slices"

// NeedsRestart lists the keys whose values differ between old and new but that a
// running flowprobe cannot change on reload: everything but the outputs (save the
// TRAP plugins and end-of-data), the cache timeouts and the log level. An empty
// result means new can be applied in place.
func NeedsRestart(old, new *Config) []string {
	var keys []string
	diff := func(key string, changed bool) {
		if changed {
			keys = append(keys, key)
		}
	}
	o, n := old, new
	diff("input.interface", o.Input.Interface != n.Input.Interface)
	diff("input.trace", o.Input.Trace != n.Input.Trace)
	diff("input.mode", o.Input.Mode != n.Input.Mode)
	diff("input.workers", o.Input.Workers != n.Input.Workers)
	diff("input.filter", o.Input.Filter != n.Input.Filter)
	diff("input.promiscuous", o.Input.Promiscuous != n.Input.Promiscuous)
	diff("input.xdp_first_packets", o.Input.XDPFirstPackets != n.Input.XDPFirstPackets)
	diff("outputs.trap_plugins", !slices.Equal(o.Outputs.TRAPPlugins, n.Outputs.TRAPPlugins))
	diff("outputs.trap_end_of_data", o.Outputs.TRAPEndOfData != n.Outputs.TRAPEndOfData)
	diff("cache.size", o.Cache.Size != n.Cache.Size)
	diff("cache.split", o.Cache.Split != n.Cache.Split)
	diff("cache.decapsulate", o.Cache.Decapsulate != n.Cache.Decapsulate)
	diff("log.format", o.Log.Format != n.Log.Format)
	diff("metrics.address", o.Metrics.Address != n.Metrics.Address)
	return keys
}
