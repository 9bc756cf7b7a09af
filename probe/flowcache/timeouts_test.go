package flowcache

import (
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// TestSetTimeoutsReschedulesFlows checks that flows already in the cache end by the
// timeouts set later: sooner after a shortening, later after a lengthening, and that
// a closing TCP flow keeps its FIN wait when that is earlier.
func TestSetTimeoutsReschedulesFlows(t *testing.T) {
	const c2 = "198.18.0.3:50000"
	cases := []struct {
		name              string
		inactive, changed time.Duration
		packets           []flow.Packet
		// Advance runs to each of these seconds after t0 in turn; want[i] is what
		// has left by then.
		at   []int64
		want [][]want
	}{
		{"shortened", 30 * time.Second, 5 * time.Second,
			[]flow.Packet{pkt(a, b, udp, t0, 100, 0)},
			[]int64{4, 7},
			[][]want{nil, {{src: a, dst: b, packets: 1, bytes: 100, reason: flow.EndIdle}}}},
		{"lengthened", 5 * time.Second, 30 * time.Second,
			[]flow.Packet{pkt(a, b, udp, t0, 100, 0)},
			[]int64{10, 32},
			[][]want{nil, {{src: a, dst: b, packets: 1, bytes: 100, reason: flow.EndIdle}}}},
		{"closing keeps its FIN wait", 30 * time.Second, 60 * time.Second,
			[]flow.Packet{pkt(a, b, tcp, t0, 60, fin), pkt(c2, b, udp, t0, 80, 0)},
			[]int64{3, 62},
			[][]want{
				{{src: a, dst: b, packets: 1, bytes: 60, reason: flow.EndOfFlow, tcpFlags: fin}},
				{{src: c2, dst: b, packets: 1, bytes: 80, reason: flow.EndIdle}},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, col := newCache(t, Config{InactiveTimeout: tc.inactive, Capacity: 1024})
			for i := range tc.packets {
				c.Update(&tc.packets[i])
			}
			c.Advance(t0 + sec/2)
			if err := c.SetTimeouts(0, tc.changed, 0); err != nil {
				t.Fatal(err)
			}
			for i, at := range tc.at {
				col.records = col.records[:0]
				c.Advance(t0 + at*sec)
				check(t, col.records, tc.want[i])
			}
		})
	}
}

// TestSetTimeoutsEndsDueFlowsAtOnce checks that SetTimeouts does not wait for the
// sweep: a flow already due by the old timeouts ends by them, rather than living on
// under longer ones, and a flow overdue by the new ones ends at the call.
func TestSetTimeoutsEndsDueFlowsAtOnce(t *testing.T) {
	cases := []struct {
		name              string
		inactive, changed time.Duration
		want              want
	}{
		{"due before a lengthening", 5 * time.Second, 30 * time.Second,
			want{src: a, dst: b, packets: 1, bytes: 100, reason: flow.EndIdle}},
		{"overdue after a shortening", 30 * time.Second, 5 * time.Second,
			want{src: a, dst: b, packets: 1, bytes: 100, reason: flow.EndIdle}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The sweep would come only an hour after the first packet.
			c, col := newCache(t, Config{Capacity: 1024, InactiveTimeout: tc.inactive,
				SweepPeriod: time.Hour})
			p := pkt(a, b, udp, t0, 100, 0)
			c.Update(&p)
			c.Advance(t0 + 10*sec)
			if len(col.records) != 0 {
				t.Fatalf("%d records before SetTimeouts", len(col.records))
			}
			if err := c.SetTimeouts(0, tc.changed, 0); err != nil {
				t.Fatal(err)
			}
			check(t, col.records, []want{tc.want})
			p = pkt(a, b, udp, t0+12*sec, 100, 0)
			c.Update(&p)
			c.Flush()
			if len(col.records) != 2 || col.records[1].TimeFirst != t0+12*sec {
				t.Errorf("the packet after SetTimeouts did not open a flow of its own: %+v",
					col.records)
			}
		})
	}
}

// TestSetTimeoutsKeepsTheFINWait checks that a closing TCP flow whose FIN wait the
// old active timeout cut short gets its whole FIN wait once the timeout is raised, so
// that the peer's FIN still joins the biflow.
func TestSetTimeoutsKeepsTheFINWait(t *testing.T) {
	c, col := newCache(t, Config{ActiveTimeout: 60 * time.Second})
	for _, p := range []flow.Packet{pkt(a, b, tcp, t0, 60, syn),
		pkt(a, b, tcp, t0+20*sec, 60, ack), pkt(a, b, tcp, t0+40*sec, 60, ack),
		pkt(a, b, tcp, t0+59*sec+sec/2, 60, fin)} {
		c.Update(&p)
	}
	c.Advance(t0 + 59*sec + 6*sec/10) // the FIN wait would end at t0+60.5 s
	if err := c.SetTimeouts(300*time.Second, 0, 0); err != nil {
		t.Fatal(err)
	}
	reply := pkt(b, a, tcp, t0+60*sec+sec/5, 60, fin)
	c.Update(&reply)
	c.Flush()
	if len(col.records) != 1 || col.records[0].Packets != 4 ||
		col.records[0].PacketsRev != 1 {
		t.Fatalf("%d records; want one biflow of 4 and 1 packets, the reply at t0+60.2 s"+
			" within the FIN wait", len(col.records))
	}
}
