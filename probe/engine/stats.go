package engine

import (
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/flowcache"
	"github.com/flowprobe/flowprobe/probe/packet"
)

// Stats counts what an Engine did. While Run is going the parser and cache figures
// are those of each worker's last tick; once Run has returned they are exact.
type Stats struct {
	Parser packet.Stats
	Cache  flowcache.Stats // summed over the workers
	// Flows counts records handed to the exporters, indexed by flow.EndReason.
	Flows [flow.EndLackOfResource + 1]uint64
	// FlowPackets and FlowBytes sum the packets and IP bytes, both directions, of
	// the records handed to the exporters.
	FlowPackets, FlowBytes uint64
	// PipelineQueued is the number of batches of parsed packets waiting for the
	// workers' cache goroutines now (Config.Pipeline), summed over the workers.
	PipelineQueued int
	// Exporters has one entry per exporter the engine was ever given: those of New,
	// then those of each SwapExporters call, in order, retired ones included.
	Exporters []ExporterStats
}

// ExporterStats counts what happened to the batches sent to one exporter.
type ExporterStats struct {
	// Records counts records the exporter took without reporting them lost.
	Records uint64
	// Failed counts records an exporter error reported lost; see
	// Config.LostRecords.
	Failed  uint64
	Dropped uint64 // records lost because the exporter's queue stayed full
	Errors  uint64 // errors returned by Export, Flush or Close
	Queued  int    // batches waiting in the exporter's queue now
}

func addParserStats(sum *packet.Stats, s *packet.Stats) {
	sum.Frames += s.Frames
	for i := range sum.Reasons {
		sum.Reasons[i] += s.Reasons[i]
	}
	sum.L4Missing += s.L4Missing
	sum.FragmentsAttached += s.FragmentsAttached
	sum.FragmentsUnattached += s.FragmentsUnattached
	sum.Decapsulated += s.Decapsulated
	sum.DecapsulationFailed += s.DecapsulationFailed
}

func addCacheStats(sum *flowcache.Stats, s *flowcache.Stats) {
	sum.Packets += s.Packets
	sum.Merged += s.Merged
	sum.Created += s.Created
	sum.Active += s.Active
	sum.ClockSetBack += s.ClockSetBack
	for i := range sum.Ended {
		sum.Ended[i] += s.Ended[i]
	}
}
