package flowcache

import (
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

func partial(src, dst string, first, last int64, pk, pkRev, by, byRev uint64) flow.Record {
	p := pkt(src, dst, udp, 0, 0, 0)
	return flow.Record{Key: p.Key, Packets: pk, PacketsRev: pkRev, Bytes: by,
		BytesRev: byRev, TimeFirst: t0 + first*sec, TimeLast: t0 + last*sec}
}

func TestMerge(t *testing.T) {
	c, col := newCache(t, Config{})
	parts := []flow.Record{
		partial(a, b, 1, 2, 3, 1, 300, 100),
		partial(b, a, 0, 4, 2, 5, 20, 500), // the reverse direction, seen earlier
	}
	parts[0].SrcMAC, parts[0].DstMAC = [6]byte{0xa}, [6]byte{0xb}
	parts[1].SrcMAC, parts[1].DstMAC = [6]byte{0xb}, [6]byte{0xa}
	parts[0].IfIndex, parts[0].Direction = 7, flow.Egress
	parts[1].IfIndex, parts[1].Direction = 9, flow.Ingress
	parts[0].Tunnel = flow.Tunnel{SrcAddr: [16]byte{15: 0xa}, DstAddr: [16]byte{15: 0xb}}
	parts[1].Tunnel = flow.Tunnel{SrcAddr: [16]byte{15: 0xb}, DstAddr: [16]byte{15: 0xa}}
	for i := range parts {
		c.Merge(&parts[i])
	}
	p := pkt(a, b, udp, t0+5*sec, 50, 0)
	c.Update(&p)
	c.Flush()
	// b sent first, so b is the source, with a's counters turned round.
	check(t, col.records, []want{{src: b, dst: a, packets: 1 + 2, packetsRev: 3 + 5 + 1,
		bytes: 100 + 20, bytesRev: 300 + 500 + 50, reason: flow.EndForced,
		timeFirst: 0, timeLast: 5}})
	if r := col.records[0]; r.SrcMAC != parts[1].SrcMAC || r.DstMAC != parts[1].DstMAC ||
		r.IfIndex != 9 || r.Direction != flow.Ingress || r.Tunnel != parts[1].Tunnel {
		t.Errorf("MACs %x > %x, interface %d, direction %v, tunnel %v: want those of b's "+
			"part", r.SrcMAC, r.DstMAC, r.IfIndex, r.Direction, r.Tunnel)
	}
	if st := c.Stats(); st.Merged != 2 || st.Packets != 1 {
		t.Fatalf("stats %+v, want 2 merged and 1 packet", st)
	}
}

func TestMergeAfterIdle(t *testing.T) {
	c, col := newCache(t, Config{})
	first := partial(a, b, 0, 1, 1, 0, 10, 0)
	later := partial(a, b, 40, 41, 2, 0, 20, 0)
	c.Merge(&first)
	c.Merge(&later)
	c.Flush()
	check(t, col.records, []want{
		{src: a, dst: b, packets: 1, bytes: 10, reason: flow.EndIdle, timeLast: 1},
		{src: a, dst: b, packets: 2, bytes: 20, reason: flow.EndForced, timeFirst: 40,
			timeLast: 41},
	})
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		{"negative capacity", Config{Capacity: -1}},
		{"negative active timeout", Config{ActiveTimeout: -1}},
		{"negative inactive timeout", Config{InactiveTimeout: -1}},
		{"capacity too large", Config{Capacity: 1<<30 + 1}},
		{"negative batch", Config{BatchSize: -3}},
		{"timeout too long for coarse deadlines", Config{ActiveTimeout: 5 * time.Hour}},
	}
	for _, tc := range cases {
		if _, err := New(tc.cfg, nil); err == nil {
			t.Errorf("%s: New accepted %+v", tc.name, tc.cfg)
		}
	}
	c, err := New(Config{Capacity: 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Config()
	if got.Capacity != 128 || got.ActiveTimeout != DefaultActiveTimeout ||
		got.InactiveTimeout != DefaultInactiveTimeout || got.BatchSize != DefaultBatchSize {
		t.Fatalf("defaults not applied: %+v", got)
	}
}

// TestSweepLatency checks the sweep's promise: an idle flow leaves at most one sweep
// period after its deadline, on ticks alone.
func TestSweepLatency(t *testing.T) {
	c, col := newCache(t, Config{Capacity: 1 << 14})
	for i := range 1000 {
		p := pkt(a, b, udp, t0, 60, 0)
		p.SrcPort = uint16(i)
		c.Update(&p)
	}
	step := sec / 10
	for now := t0; now <= t0+31*sec+step; now += step {
		c.Advance(now)
		if now < t0+30*sec && len(col.records) != 0 {
			t.Fatalf("%d records expired %v s before the deadline", len(col.records),
				float64(t0+30*sec-now)/float64(sec))
		}
	}
	if len(col.records) != 1000 {
		t.Fatalf("%d of 1000 idle flows expired one sweep period after the deadline",
			len(col.records))
	}
}
