// Package metrics exposes flowprobe's counters as Prometheus metrics.
//
// Nothing here runs per packet: a Collector reads the Stats of the engine, the
// capture source and the outputs when Prometheus scrapes, and turns them into
// constant metrics. The components keep counting as they always do, so metrics cost
// nothing between scrapes.
//
// Names follow Prometheus conventions: a flowprobe_ prefix, _total on counters, the
// unit in the name (_bytes). Outputs are labelled by name ("ipfix:HOST:PORT",
// "trap:SPEC", "text:FORMAT:FILE"); when a reload replaces an output by one with the
// same name, the counters of both are summed, so a counter never goes backwards.
// README.md lists every metric under "Metrics".
package metrics
