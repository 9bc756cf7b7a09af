package metrics

import (
	"github.com/flowprobe/flowprobe/probe/engine"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/packet"
)

// collectEngine sends the parser, cache and end-reason figures; extra adds parse
// failures counted outside the engine, by reason name.
func collectEngine(e *emitter, st *engine.Stats, extra map[string]uint64) {
	p := &st.Parser
	e.counter("flowprobe_parser_frames_total",
		"Frames the flow engine's parsers read.", p.Frames)
	for r := packet.Reason(1); r < packet.NumReasons; r++ {
		e.counter("flowprobe_parse_failures_total",
			"Frames that were no flow packet, by reason.",
			p.Reasons[r]+extra[r.String()], "reason", r.String())
	}
	events := []struct {
		name string
		v    uint64
	}{
		{"l4_missing", p.L4Missing},
		{"fragment_attached", p.FragmentsAttached},
		{"fragment_unattached", p.FragmentsUnattached},
		{"decapsulated", p.Decapsulated},
		{"decapsulation_failed", p.DecapsulationFailed},
	}
	for _, ev := range events {
		e.counter("flowprobe_parser_events_total",
			"Flow packets the parser read with a remark, by kind.", ev.v, "event", ev.name)
	}

	c := &st.Cache
	e.counter("flowprobe_cache_packets_total",
		"Packets accounted to flows in the flow cache.", c.Packets)
	e.counter("flowprobe_cache_partial_flows_total",
		"Partial flows merged into the flow cache (XDP source).", c.Merged)
	e.counter("flowprobe_flows_created_total", "Flow records opened.", c.Created)
	e.gauge("flowprobe_flows_active", "Flows in the flow cache now.", float64(c.Active))
	e.counter("flowprobe_cache_clock_set_back_total",
		"Times a flow cache (one per worker) found packet time gone back by more than the"+
			" inactive timeout and ended its flows.",
		c.ClockSetBack)
	for r := flow.EndIdle; r <= flow.EndLackOfResource; r++ {
		e.counter("flowprobe_flows_exported_total",
			"Flow records handed to the outputs, by end reason.", st.Flows[r],
			"end_reason", r.String())
	}
	e.gauge("flowprobe_pipeline_queue_batches",
		"Batches of parsed packets waiting for the flow caches' goroutines.",
		float64(st.PipelineQueued))
	e.counter("flowprobe_exported_flow_packets_total",
		"Packets, both directions, in the flow records handed to the outputs.",
		st.FlowPackets)
	e.counter("flowprobe_exported_flow_bytes_total",
		"IP bytes, both directions, in the flow records handed to the outputs.",
		st.FlowBytes)
}
