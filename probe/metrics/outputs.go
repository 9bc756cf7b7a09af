package metrics

import (
	"fmt"

	"github.com/flowprobe/flowprobe/exporter/ipfix"
	"github.com/flowprobe/flowprobe/probe/engine"
	"github.com/flowprobe/flowprobe/trapout"
)

// outputSum is the figures of every output of one name. Counters add up over the
// outputs a reload replaced; gauges come from the newest one.
type outputSum struct {
	engine.ExporterStats
	ipfix     *ipfix.Stats
	trap      *trapout.OutputStats
	queued    int
	connected bool
	buffered  uint64
	clients   int
}

func collectOutputs(e *emitter, st []engine.ExporterStats, outs []Output) {
	var order []string
	sums := map[string]*outputSum{}
	for i := range st {
		name := fmt.Sprintf("output%d", i)
		var o Output
		if i < len(outs) {
			o = outs[i]
			name = o.Name
		}
		s := sums[name]
		if s == nil {
			s = &outputSum{}
			sums[name] = s
			order = append(order, name)
		}
		addOutput(s, &st[i], &o)
	}
	for _, name := range order {
		emitOutput(e, name, sums[name])
	}
}

func addOutput(s *outputSum, st *engine.ExporterStats, o *Output) {
	s.Records += st.Records
	s.Failed += st.Failed
	s.Dropped += st.Dropped
	s.Errors += st.Errors
	s.queued = st.Queued
	if o.IPFIX != nil {
		x := o.IPFIX.Stats()
		if s.ipfix == nil {
			s.ipfix = &ipfix.Stats{}
		}
		s.ipfix.RecordsSent += x.RecordsSent
		s.ipfix.MessagesSent += x.MessagesSent
		s.ipfix.TemplatesSent += x.TemplatesSent
		s.ipfix.RecordsDropped += x.RecordsDropped
		s.ipfix.Refused += x.Refused
		s.ipfix.WriteErrors += x.WriteErrors
		s.ipfix.Connects += x.Connects
		s.ipfix.Disconnects += x.Disconnects
		s.connected, s.buffered = x.Connected, x.Buffered
	}
	if o.TRAP != nil {
		t := o.TRAP.Stats()
		if s.trap == nil {
			s.trap = &trapout.OutputStats{}
		}
		s.trap.Sent += t.Sent
		s.trap.Skipped += t.Skipped
		s.trap.SkippedRecords += t.SkippedRecords
		s.clients = t.Clients
	}
}

func emitOutput(e *emitter, name string, s *outputSum) {
	l := []string{"output", name}
	e.counter("flowprobe_output_records_total",
		"Flow records an output took without reporting them lost.", s.Records, l...)
	e.counter("flowprobe_output_failed_records_total",
		"Flow records an output's errors reported lost.", s.Failed, l...)
	e.counter("flowprobe_output_dropped_records_total",
		"Flow records dropped because an output's queue stayed full.", s.Dropped, l...)
	e.counter("flowprobe_output_errors_total",
		"Errors an output returned from Export, Flush or Close.", s.Errors, l...)
	e.gauge("flowprobe_output_queue_batches",
		"Batches of flow records waiting in an output's queue.", float64(s.queued), l...)
	if x := s.ipfix; x != nil {
		e.counter("flowprobe_ipfix_records_sent_total",
			"IPFIX data records written to the socket.", x.RecordsSent, l...)
		e.counter("flowprobe_ipfix_messages_sent_total",
			"IPFIX data messages written to the socket.", x.MessagesSent, l...)
		e.counter("flowprobe_ipfix_templates_sent_total",
			"IPFIX template messages written to the socket.", x.TemplatesSent, l...)
		e.counter("flowprobe_ipfix_records_dropped_total",
			"IPFIX records given up: TCP buffer full or left at close, UDP write failed "+
				"or refused.",
			x.RecordsDropped, l...)
		e.counter("flowprobe_ipfix_refused_total",
			"IPFIX UDP writes refused by the collector's host (ICMP port unreachable).",
			x.Refused, l...)
		e.counter("flowprobe_ipfix_write_errors_total",
			"IPFIX writes that failed for another reason.", x.WriteErrors, l...)
		e.counter("flowprobe_ipfix_connects_total",
			"IPFIX TCP connections made; every one after the first is a reconnect.",
			x.Connects, l...)
		e.counter("flowprobe_ipfix_disconnects_total",
			"IPFIX TCP connections lost or closed.", x.Disconnects, l...)
		e.gauge("flowprobe_ipfix_connected",
			"1 while the IPFIX TCP connection is up, else 0.",
			boolValue(s.connected), l...)
		e.gauge("flowprobe_ipfix_buffered_records",
			"IPFIX records waiting for a TCP connection.", float64(s.buffered), l...)
	}
	if t := s.trap; t != nil {
		e.counter("flowprobe_trap_messages_sent_total",
			"UniRec records a TRAP output accepted.", t.Sent, l...)
		e.counter("flowprobe_trap_skipped_containers_total",
			"TRAP containers that slow clients skipped.", t.Skipped, l...)
		e.counter("flowprobe_trap_skipped_records_total",
			"UniRec records in the TRAP containers slow clients skipped, once per client.",
			t.SkippedRecords, l...)
		e.gauge("flowprobe_trap_clients", "Clients connected to a TRAP output.",
			float64(s.clients), l...)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
