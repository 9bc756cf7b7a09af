package pipeline

import (
	"testing"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/flowcache"
	"github.com/flowprobe/flowprobe/probe/packet"
	"github.com/flowprobe/flowprobe/tools/pcapgen/gen"
)

// snapLen keeps every header the parser reads, up to an IPv6 SYN with options, and
// holds a large trace in memory at a seventh of its size.
const snapLen = 96

// trace is a generated trace in memory, frames cut to snapLen.
type trace struct {
	data   []byte
	frames []capture.Frame
	truth  gen.Truth
}

func loadTrace(cfg gen.Config) (*trace, error) {
	g, err := gen.New(cfg)
	if err != nil {
		return nil, err
	}
	t := &trace{data: make([]byte, 0, cfg.Packets*snapLen),
		frames: make([]capture.Frame, 0, cfg.Packets)}
	for {
		frame, ts, ok := g.Next()
		if !ok {
			break
		}
		start := len(t.data)
		t.data = append(t.data, frame[:min(len(frame), snapLen)]...)
		t.frames = append(t.frames, capture.Frame{Data: t.data[start:len(t.data):len(t.data)],
			Timestamp: ts, WireLen: len(frame), LinkType: capture.LinkEthernet})
	}
	t.truth = g.Truth()
	return t, nil
}

// flowTotals sums what the cache exported.
type flowTotals struct {
	records, tcp, udp, icmp, ipv6 int64
	packets, bytes                int64
}

func (s *flowTotals) add(batch []flow.Record) []flow.Record {
	for i := range batch {
		r := &batch[i]
		s.records++
		switch r.Protocol {
		case 6:
			s.tcp++
		case 17:
			s.udp++
		default:
			s.icmp++
		}
		if r.IPVersion == 6 {
			s.ipv6++
		}
		s.packets += int64(r.Packets + r.PacketsRev)
		s.bytes += int64(r.Bytes + r.BytesRev)
	}
	return batch[:0]
}

// replayBatch is how many parsed packets replay hands the cache at once, as many as
// the engine's pipeline does.
const replayBatch = 1024

// replay runs every frame of t through a parser and cache, replayBatch packets at a
// time as the engine does, then flushes the cache into its sink.
func replay(tb testing.TB, t *trace, cache *flowcache.Cache) {
	parser := packet.NewParser(packet.Options{})
	batch := make([]flow.Packet, 0, replayBatch)
	for i := range t.frames {
		batch = batch[:len(batch)+1]
		if r := parser.Parse(&t.frames[i], &batch[len(batch)-1]); r != packet.OK {
			tb.Fatalf("frame %d: parser says %v", i+1, r)
		}
		if len(batch) == replayBatch {
			cache.UpdateBatch(batch)
			batch = batch[:0]
		}
	}
	cache.UpdateBatch(batch)
	cache.Flush()
}

func newCache(tb testing.TB, totals *flowTotals) *flowcache.Cache {
	return newCacheWith(tb, flowcache.Config{}, totals)
}

func newCacheWith(tb testing.TB, cfg flowcache.Config, totals *flowTotals) *flowcache.Cache {
	c, err := flowcache.New(cfg, totals.add)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestCacheFindsGroundTruth checks the parser and the cache against pcapgen's
// ground truth: one record per generated biflow, or per direction in split mode,
// every packet and IP byte accounted for, the protocol and family mix intact.
func TestCacheFindsGroundTruth(t *testing.T) {
	tr, err := loadTrace(gen.Config{Packets: 60_000, Flows: 3_000, Seed: 21, IPv6: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	w := tr.truth
	cases := []struct {
		name  string
		split bool
		want  flowTotals
	}{
		{"biflow", false, flowTotals{records: w.Total.Flows, tcp: w.TCP.Flows,
			udp: w.UDP.Flows, icmp: w.ICMP.Flows, ipv6: w.IPv6.Flows,
			packets: w.Total.Packets, bytes: w.Total.IPBytes}},
		{"split", true, flowTotals{records: w.Total.Uniflows, tcp: w.TCP.Uniflows,
			udp: w.UDP.Uniflows, icmp: w.ICMP.Uniflows, ipv6: w.IPv6.Uniflows,
			packets: w.Total.Packets, bytes: w.Total.IPBytes}},
	}
	for _, c := range cases {
		var got flowTotals
		replay(t, tr, newCacheWith(t, flowcache.Config{Split: c.split}, &got))
		if got != c.want {
			t.Errorf("%s: the cache exported %+v, the ground truth is %+v", c.name, got, c.want)
		}
	}
}
