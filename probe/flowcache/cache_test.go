package flowcache

import (
	"net/netip"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

const sec = int64(time.Second)

// t0 is an arbitrary packet time, far from zero so that time arithmetic is exercised.
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano()

// collector is a Sink that keeps copies of every record it receives.
type collector struct{ records []flow.Record }

func (c *collector) sink(batch []flow.Record) []flow.Record {
	c.records = append(c.records, batch...)
	return batch[:0]
}

func newCache(t *testing.T, cfg Config) (*Cache, *collector) {
	t.Helper()
	col := &collector{}
	c, err := New(cfg, col.sink)
	if err != nil {
		t.Fatalf("new cache: %v", err)
	}
	return c, col
}

// pkt builds a packet from "addr:port" endpoints.
func pkt(src, dst string, proto uint8, at int64, size uint32, tcpFlags uint8) flow.Packet {
	s := netip.MustParseAddrPort(src)
	d := netip.MustParseAddrPort(dst)
	var p flow.Packet
	p.SetAddrs(s.Addr(), d.Addr())
	p.SrcPort, p.DstPort = s.Port(), d.Port()
	p.Protocol = proto
	p.Timestamp = at
	p.IPBytes = size
	p.TCPFlags = tcpFlags
	return p
}

const (
	tcp  = 6
	udp  = 17
	icmp = 1
	a    = "198.18.0.1:40000"
	b    = "198.18.0.2:80"
	syn  = flow.TCPSyn
	ack  = flow.TCPAck
	fin  = flow.TCPFin | flow.TCPAck
	rst  = flow.TCPRst
)

// want is the part of a record a test checks.
type want struct {
	src, dst              string
	packets, packetsRev   uint64
	bytes, bytesRev       uint64
	reason                flow.EndReason
	timeFirst, timeLast   int64 // seconds after t0
	tcpFlags, tcpFlagsRev uint8
}

func check(t *testing.T, got []flow.Record, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		for _, r := range got {
			t.Logf("got %v:%d -> %v:%d pkts %d/%d reason %v", r.SrcIP(), r.SrcPort,
				r.DstIP(), r.DstPort, r.Packets, r.PacketsRev, r.EndReason)
		}
		t.Fatalf("got %d records, want %d", len(got), len(wants))
	}
	for i, w := range wants {
		r := got[i]
		src := netip.AddrPortFrom(r.SrcIP(), r.SrcPort).String()
		dst := netip.AddrPortFrom(r.DstIP(), r.DstPort).String()
		if src != w.src || dst != w.dst {
			t.Errorf("record %d: %s -> %s, want %s -> %s", i, src, dst, w.src, w.dst)
		}
		if r.Packets != w.packets || r.PacketsRev != w.packetsRev ||
			r.Bytes != w.bytes || r.BytesRev != w.bytesRev {
			t.Errorf("record %d: packets %d/%d bytes %d/%d, want %d/%d %d/%d", i,
				r.Packets, r.PacketsRev, r.Bytes, r.BytesRev,
				w.packets, w.packetsRev, w.bytes, w.bytesRev)
		}
		if r.EndReason != w.reason {
			t.Errorf("record %d: end reason %v, want %v", i, r.EndReason, w.reason)
		}
		if r.TimeFirst != t0+w.timeFirst*sec || r.TimeLast != t0+w.timeLast*sec {
			t.Errorf("record %d: times %d..%d s, want %d..%d s", i,
				(r.TimeFirst-t0)/sec, (r.TimeLast-t0)/sec, w.timeFirst, w.timeLast)
		}
		if r.TCPFlags != w.tcpFlags || r.TCPFlagsRev != w.tcpFlagsRev {
			t.Errorf("record %d: tcp flags %#x/%#x, want %#x/%#x", i,
				r.TCPFlags, r.TCPFlagsRev, w.tcpFlags, w.tcpFlagsRev)
		}
	}
}

// checkFlushed checks what a flushed cache handed out against what it was fed: every
// packet and byte, both directions summed, in some record; no record without an end
// reason or with its times reversed; and the stats agreeing with the records.
func checkFlushed(t *testing.T, c *Cache, records []flow.Record, packets, bytes uint64) {
	t.Helper()
	var gotPackets, gotBytes uint64
	var ended [flow.EndLackOfResource + 1]uint64
	for _, r := range records {
		gotPackets += r.Packets + r.PacketsRev
		gotBytes += r.Bytes + r.BytesRev
		ended[r.EndReason]++
		if r.EndReason == 0 || r.TimeFirst > r.TimeLast {
			t.Fatalf("bad record %+v", r)
		}
	}
	if gotPackets != packets || gotBytes != bytes {
		t.Fatalf("records hold %d packets %d bytes, fed %d packets %d bytes",
			gotPackets, gotBytes, packets, bytes)
	}
	st := c.Stats()
	if st.Ended != ended || st.Created != uint64(len(records)) || st.Active != 0 {
		t.Fatalf("stats %+v disagree with records %v (%d)", st, ended, len(records))
	}
}

// checkSweepBound fails when a flow in c is a whole sweep period past its deadline by
// the cache's clock, once the clock has started.
func checkSweepBound(t *testing.T, c *Cache) {
	t.Helper()
	if !c.sweep.started {
		return
	}
	period := int64(c.cfg.SweepPeriod)
	for s, tag := range c.tags {
		if tag != 0 && c.slots[s].deadline <= c.now-period {
			t.Fatalf("a flow is %v past its deadline, the sweep period is %v",
				time.Duration(c.now-c.slots[s].deadline), c.cfg.SweepPeriod)
		}
	}
}
