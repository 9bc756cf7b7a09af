package flowcache

import (
	"sort"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// tcpPartial is a partial TCP flow from src to dst with the given flags, whose
// packets span first to last (nanoseconds after t0).
func tcpPartial(src, dst string, first, last int64, packets uint64, flags uint8) flow.Record {
	r := partial(src, dst, 0, 0, packets, 0, 100*packets, 0)
	r.Protocol, r.TCPFlags = tcp, flags
	r.TimeFirst, r.TimeLast = t0+first, t0+last
	return r
}

// TestExternalClockKeepsDrainedPartsTogether drives a cache with an external clock
// as the XDP source does: the parts of one drain are merged in table order, not time
// order, and the clock moves to the drain's time after them. Both directions of a
// connection must end in one record, however long ago its FIN or RST came, and a
// flow must not end idle while a drain still holds its packets.
func TestExternalClockKeepsDrainedPartsTogether(t *testing.T) {
	const drain = 3 * sec
	cases := []struct {
		name  string
		parts []flow.Record
		want  flow.EndReason
	}{
		{"closed with fins long before the drain", []flow.Record{
			tcpPartial(a, b, 0, sec/2, 4, syn|ack|fin),
			tcpPartial(b, a, sec/10, sec/2, 3, syn|ack|fin),
		}, flow.EndOfFlow},
		{"reset after the last reverse packet", []flow.Record{
			tcpPartial(a, b, 0, 2*sec, 4, syn|ack|rst),
			tcpPartial(b, a, sec/10, sec, 3, syn|ack),
		}, flow.EndOfFlow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, col := newCache(t, Config{ExternalClock: true})
			c.Advance(t0)
			for i := range tc.parts {
				c.Merge(&tc.parts[i])
			}
			c.Advance(t0 + drain)
			if len(col.records) != 1 || col.records[0].Packets+col.records[0].PacketsRev != 7 ||
				col.records[0].EndReason != tc.want {
				t.Fatalf("records %+v, want one of 7 packets ended %v", col.records, tc.want)
			}
		})
	}

	t.Run("a gap shorter than the inactive timeout", func(t *testing.T) {
		c, col := newCache(t, Config{ExternalClock: true})
		c.Advance(t0)
		first := partial(a, b, 0, 0, 1, 0, 10, 0)
		c.Merge(&first)
		for now := t0 + drain; now < t0+30*sec; now += drain {
			c.Advance(now)
		}
		// The drain at t0+30 s holds a packet of t0+29.5 s; its parts come first.
		later := partial(a, b, 0, 0, 1, 0, 10, 0)
		later.TimeFirst, later.TimeLast = t0+29*sec+sec/2, t0+29*sec+sec/2
		c.Merge(&later)
		c.Advance(t0 + 30*sec)
		c.Flush()
		if len(col.records) != 1 || col.records[0].Packets != 2 {
			t.Fatalf("records %+v, want one of 2 packets", col.records)
		}
	})

	t.Run("packets do not move the clock", func(t *testing.T) {
		c, col := newCache(t, Config{ExternalClock: true})
		c.Advance(t0)
		old := pkt(a, b, udp, t0, 60, 0)
		c.Update(&old)
		future := pkt("198.18.0.3:1", b, udp, t0+time.Hour.Nanoseconds(), 60, 0)
		c.Update(&future)
		if len(col.records) != 0 || c.Stats().Active != 2 {
			t.Fatalf("a packet an hour ahead ended flows: %+v", col.records)
		}
		c.Advance(t0 + 31*sec)
		if len(col.records) != 1 || col.records[0].EndReason != flow.EndIdle {
			t.Fatalf("records %+v, want the first flow ended idle", col.records)
		}
	})
}

// TestLatePacketJudgedByTheClock checks that a packet older than the cache clock
// finds a due flow gone whether or not the sweep has reached it, so the records do
// not depend on the sweep period, and that a due flow pushed out of a full bucket by
// such a packet leaves with its own reason.
func TestLatePacketJudgedByTheClock(t *testing.T) {
	run := func(period time.Duration) []flow.Record {
		c, col := newCache(t, Config{Capacity: 1 << 12, SweepPeriod: period})
		p := pkt(a, b, udp, t0, 60, 0)
		c.Update(&p)
		c.Advance(t0 + 30*sec + sec/2) // due at t0+30 s
		late := pkt(a, b, udp, t0+10*sec, 60, 0)
		c.Update(&late)
		c.Flush()
		return col.records
	}
	fast, slow := run(time.Millisecond), run(time.Hour)
	if len(fast) != 2 || len(slow) != 2 {
		t.Errorf("sweep period 1 ms: %d records, 1 h: %d; want 2 both times", len(fast),
			len(slow))
	}

	c, col := newCache(t, Config{Capacity: Ways, SweepPeriod: time.Hour})
	for i := range Ways {
		p := pkt(a, b, udp, t0, 60, 0)
		p.SrcPort = uint16(1000 + i)
		c.Update(&p)
	}
	c.Advance(t0 + 40*sec) // every flow due, the sweep not yet come
	late := pkt(a, b, udp, t0+20*sec, 60, 0)
	late.SrcPort = 9
	c.Update(&late)
	c.Flush()
	for _, r := range col.records {
		if r.SrcPort != 9 && r.EndReason != flow.EndIdle {
			t.Errorf("flow of port %d, due by the clock, left as %v", r.SrcPort, r.EndReason)
		}
	}
}

// TestSweepPeriodBounded checks that a sweep period the coarse deadlines cannot
// order is refused.
func TestSweepPeriodBounded(t *testing.T) {
	if _, err := New(Config{SweepPeriod: MaxTimeout + time.Second}, nil); err == nil {
		t.Error("a sweep period over MaxTimeout was accepted")
	}
}

// TestSweepAtLongestPeriod checks the coarse deadlines at the longest sweep period:
// a due flow must leave when the sweep comes, however far time has jumped. With one
// bucket the sweep comes one period after the first packet, and then at every step of
// time, until the flow is gone.
func TestSweepAtLongestPeriod(t *testing.T) {
	period := int64(MaxTimeout)
	for jump := period; jump <= 4*period; jump += 128 * sec {
		c, col := newCache(t, Config{Capacity: Ways, InactiveTimeout: time.Nanosecond,
			SweepPeriod: MaxTimeout})
		p := pkt(a, b, udp, t0, 100, 0)
		c.Update(&p)
		for _, at := range []int64{jump, jump + period/2, jump + period} {
			c.Advance(t0 + at)
			if len(col.records) != 1 {
				t.Fatalf("time moved on by %v, and the flow, due with the sweep, is"+
					" still in the cache", time.Duration(at))
			}
		}
	}
}

// TestClockSetBack checks what the cache does when time goes back by more than the
// inactive timeout, as when the system clock is stepped back during a live capture:
// the flows of the old clock end, and the new clock's flows gather their packets as
// usual rather than making a record of every packet. With times from packets, the
// first packet on the new clock could be a stray and makes a record of its own; an
// ExternalClock's tick is believed at once.
func TestClockSetBack(t *testing.T) {
	const c1 = "198.18.0.3:50000"
	for _, external := range []bool{false, true} {
		c, col := newCache(t, Config{ExternalClock: external})
		old := pkt(c1, b, udp, t0+100*sec, 60, 0)
		c.Update(&old)
		c.Advance(t0 + 100*sec)
		back := t0 + 10*sec // more than the 30 s inactive timeout back
		if external {
			c.Advance(back)
		}
		for i := range int64(10) {
			p := pkt(a, b, tcp, back+i*sec, 60, ack)
			c.Update(&p)
		}
		c.Advance(back + 10*sec)
		wantOld := want{src: c1, dst: b, packets: 1, bytes: 60, reason: flow.EndForced,
			timeFirst: 100, timeLast: 100}
		wantNew := want{src: a, dst: b, packets: 10, bytes: 600, reason: flow.EndForced,
			timeFirst: 10, timeLast: 19, tcpFlags: ack}
		var early []want
		if !external {
			early = append(early, want{src: a, dst: b, packets: 1, bytes: 60,
				reason: flow.EndIdle, timeFirst: 10, timeLast: 10, tcpFlags: ack})
			wantNew.packets, wantNew.bytes, wantNew.timeFirst = 9, 540, 11
		}
		check(t, col.records, append(early, wantOld))
		c.Flush()
		check(t, col.records[len(early)+1:], []want{wantNew})
		if st := c.Stats(); st.ClockSetBack != 1 {
			t.Errorf("external clock %v: Stats.ClockSetBack = %d, want 1", external,
				st.ClockSetBack)
		}
	}
}

// TestExternalClockFlowsBeforeFirstAdvance checks flows that come before an
// ExternalClock has its first tick (the XDP source merges ring buffer frames before
// it): none is due before the clock starts, whatever its times, and the sweep finds
// those due however far past their deadline the first tick comes.
func TestExternalClockFlowsBeforeFirstAdvance(t *testing.T) {
	for _, gap := range []int64{100, 40000} {
		c, col := newCache(t, Config{Capacity: Ways, InactiveTimeout: time.Second,
			ExternalClock: true})
		p := pkt(a, b, udp, t0, 100, 0)
		c.Update(&p)
		c.Advance(t0 + gap*sec)
		c.Advance(t0 + gap*sec + 2*sec) // a sweep period later
		if len(col.records) != 1 {
			t.Errorf("a flow due at t0+1s is still in the cache a sweep period after a"+
				" first tick at t0+%ds", gap)
		}
	}

	c, col := newCache(t, Config{ExternalClock: true})
	for i := range int64(3) {
		p := pkt(a, b, udp, -100*sec+i*sec, 100, 0)
		c.Update(&p)
	}
	c.Flush()
	if len(col.records) != 1 {
		t.Errorf("3 packets 1 s apart, before 1970, made %d records, want 1",
			len(col.records))
	}
}

// TestClockSetBackEdges checks that a set back ends a flow already due by the old
// clock with its own reason, not as forced, and where the rule begins: back by just
// more than the inactive timeout restarts the clock, back by just that much does not.
func TestClockSetBackEdges(t *testing.T) {
	const c1, c2 = "198.18.0.3:50000", "198.18.0.4:50001"
	c, col := newCache(t, Config{InactiveTimeout: 5 * time.Second, SweepPeriod: time.Hour})
	for _, p := range []flow.Packet{pkt(a, b, udp, t0, 100, 0),
		pkt(c2, b, udp, t0+1*sec, 100, 0), pkt(c1, b, udp, t0+20*sec, 100, 0),
		pkt(a, b, udp, t0-100*sec, 100, 0), pkt(a, b, udp, t0-99*sec, 100, 0)} {
		c.Update(&p)
	}
	c.Flush()
	ended := col.records[1:4] // by the set back, in the order of the table
	sort.Slice(ended, func(i, j int) bool { return ended[i].TimeFirst < ended[j].TimeFirst })
	check(t, col.records, []want{
		{src: a, dst: b, packets: 1, bytes: 100, reason: flow.EndIdle, timeFirst: -100,
			timeLast: -100},
		{src: a, dst: b, packets: 1, bytes: 100, reason: flow.EndIdle},
		{src: c2, dst: b, packets: 1, bytes: 100, reason: flow.EndIdle, timeFirst: 1,
			timeLast: 1},
		{src: c1, dst: b, packets: 1, bytes: 100, reason: flow.EndForced, timeFirst: 20,
			timeLast: 20},
		{src: a, dst: b, packets: 1, bytes: 100, reason: flow.EndForced, timeFirst: -99,
			timeLast: -99},
	})

	for _, tc := range []struct {
		back    int64
		restart bool
	}{{5*sec + 1, true}, {5 * sec, false}} {
		for _, external := range []bool{false, true} {
			c, _ := newCache(t, Config{InactiveTimeout: 5 * time.Second,
				ExternalClock: external})
			c.Advance(t0)
			if !external {
				c.Advance(t0 - tc.back - 1) // believed only once a later one agrees
			}
			c.Advance(t0 - tc.back)
			if got := c.Stats().ClockSetBack == 1; got != tc.restart {
				t.Errorf("back by %v, external clock %v: restarted %v, want %v",
					time.Duration(tc.back), external, got, tc.restart)
			}
		}
	}
}

// TestStrayTimeBack checks that one packet far back among packets on the current
// clock, a bad timestamp, costs one record: it leaves the open flow of its own key
// alone, and a tick with its time (a live source behind its ring ticks the last
// frame's) does not confirm it as a set back.
func TestStrayTimeBack(t *testing.T) {
	const c1, c2 = "198.18.0.3:50000", "198.18.0.4:53"
	c, col := newCache(t, Config{})
	first := pkt(c1, c2, udp, t0+36000*sec, 84, 0)
	c.Update(&first)
	stray := pkt(c1, c2, udp, t0, 84, 0) // 10 h back
	c.Update(&stray)
	c.Advance(stray.Timestamp)
	next := pkt(c1, c2, udp, t0+36001*sec, 84, 0)
	c.Update(&next)
	if n := c.Stats().ClockSetBack; n != 0 {
		t.Errorf("a stray packet and a tick at its time restarted the clock %d times", n)
	}
	c.Flush()
	check(t, col.records, []want{
		{src: c1, dst: c2, packets: 1, bytes: 84, reason: flow.EndIdle},
		{src: c1, dst: c2, packets: 2, bytes: 168, reason: flow.EndForced,
			timeFirst: 36000, timeLast: 36001},
	})
}

// TestExternalClockStrayLeavesOpenFlowAlone checks that with an ExternalClock, whose
// ticks say everything before them was handed over, a packet or part far behind the
// clock makes a record of its own and does not stretch the open flow of its key back.
func TestExternalClockStrayLeavesOpenFlowAlone(t *testing.T) {
	now := t0 + 36000*sec
	for _, merge := range []bool{false, true} {
		c, col := newCache(t, Config{ExternalClock: true})
		c.Advance(now)
		open := pkt(a, b, udp, now, 60, 0)
		c.Update(&open)
		if merge {
			part := partial(a, b, 0, 0, 1, 0, 60, 0)
			c.Merge(&part)
		} else {
			stray := pkt(a, b, udp, t0, 60, 0)
			c.Update(&stray)
		}
		next := pkt(a, b, udp, now+sec, 60, 0)
		c.Update(&next)
		c.Flush()
		check(t, col.records, []want{
			{src: a, dst: b, packets: 1, bytes: 60, reason: flow.EndIdle},
			{src: a, dst: b, packets: 2, bytes: 120, reason: flow.EndForced,
				timeFirst: 36000, timeLast: 36001},
		})
	}
}

// TestUnrelatedStraysDoNotSetTheClockBack checks that two stray packets far back, but
// far apart from each other, are two strays and not a set back.
func TestUnrelatedStraysDoNotSetTheClockBack(t *testing.T) {
	c, col := newCache(t, Config{})
	for _, at := range []int64{36000, 0, 30000, 36001} {
		p := pkt(a, b, udp, t0+at*sec, 60, 0)
		c.Update(&p)
	}
	if n := c.Stats().ClockSetBack; n != 0 {
		t.Errorf("two unrelated strays restarted the clock %d times", n)
	}
	c.Flush()
	check(t, col.records, []want{
		{src: a, dst: b, packets: 1, bytes: 60, reason: flow.EndIdle},
		{src: a, dst: b, packets: 1, bytes: 60, reason: flow.EndIdle, timeFirst: 30000,
			timeLast: 30000},
		{src: a, dst: b, packets: 2, bytes: 120, reason: flow.EndForced, timeFirst: 36000,
			timeLast: 36001},
	})
}
