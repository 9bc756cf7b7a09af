package flowcache

import (
	"testing"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// step is one input to the cache: a packet, or a tick when p is nil.
type step struct {
	p    *flow.Packet
	tick int64 // seconds after t0
}

// send is a packet step; at is seconds after t0.
func send(src, dst string, proto uint8, at int64, size uint32, flags uint8) step {
	p := pkt(src, dst, proto, t0+at*sec, size, flags)
	return step{p: &p}
}

func tick(at int64) step { return step{tick: at} }

func TestSequences(t *testing.T) {
	c1 := "198.18.1.1:0"
	c2 := "198.18.1.2:0"
	v6a := "[2001:db8::1]:5353"
	v6b := "[2001:db8::2]:53"
	noFINWait := Config{FINWait: -1}
	split := Config{Split: true}
	cases := []struct {
		name string
		cfg  Config
		// early is what the sink holds after the steps, all what it holds after
		// Flush.
		steps []step
		early []want
		all   []want
	}{{
		name: "biflow pairs both directions, source is the first packet's",
		steps: []step{
			send(a, b, tcp, 0, 60, syn), send(b, a, tcp, 1, 60, syn|ack),
			send(a, b, tcp, 2, 52, ack), send(a, b, tcp, 3, 100, ack),
		},
		all: []want{{src: a, dst: b, packets: 3, packetsRev: 1, bytes: 212, bytesRev: 60,
			reason: flow.EndForced, timeFirst: 0, timeLast: 3, tcpFlags: syn | ack,
			tcpFlagsRev: syn | ack}},
	}, {
		name: "icmp echo request and reply share a biflow",
		steps: []step{
			send(c1, c2, icmp, 0, 84, 0), send(c2, c1, icmp, 0, 84, 0),
			send(c1, c2, icmp, 1, 84, 0), send(c2, c1, icmp, 1, 84, 0),
		},
		all: []want{{src: c1, dst: c2, packets: 2, packetsRev: 2, bytes: 168,
			bytesRev: 168, reason: flow.EndForced, timeLast: 1}},
	}, {
		name: "ipv6 biflow",
		steps: []step{
			send(v6a, v6b, udp, 0, 80, 0), send(v6b, v6a, udp, 2, 200, 0),
		},
		all: []want{{src: v6a, dst: v6b, packets: 1, packetsRev: 1, bytes: 80,
			bytesRev: 200, reason: flow.EndForced, timeLast: 2}},
	}, {
		name: "split mode keeps directions apart",
		cfg:  split,
		steps: []step{
			send(a, b, udp, 0, 50, 0), send(b, a, udp, 1, 70, 0), send(a, b, udp, 2, 50, 0),
		},
		all: []want{
			{src: a, dst: b, packets: 2, bytes: 100, reason: flow.EndForced, timeLast: 2},
			{src: b, dst: a, packets: 1, bytes: 70, reason: flow.EndForced, timeFirst: 1,
				timeLast: 1},
		},
	}, {
		name: "inactive timeout on packet time splits a flow",
		steps: []step{
			send(a, b, udp, 0, 50, 0), send(a, b, udp, 29, 50, 0),
			send(a, b, udp, 59, 50, 0),
		},
		early: []want{{src: a, dst: b, packets: 2, bytes: 100, reason: flow.EndIdle,
			timeLast: 29}},
		all: []want{
			{src: a, dst: b, packets: 2, bytes: 100, reason: flow.EndIdle, timeLast: 29},
			{src: a, dst: b, packets: 1, bytes: 50, reason: flow.EndForced, timeFirst: 59,
				timeLast: 59},
		},
	}, {
		name: "active timeout cuts a long flow; the next packet opens a new record",
		steps: func() []step {
			var s []step
			for i := int64(0); i <= 320; i += 20 {
				s = append(s, send(a, b, udp, i, 10, 0))
			}
			return s
		}(),
		early: []want{{src: a, dst: b, packets: 15, bytes: 150, reason: flow.EndActive,
			timeLast: 280}},
		all: []want{
			{src: a, dst: b, packets: 15, bytes: 150, reason: flow.EndActive,
				timeLast: 280},
			{src: a, dst: b, packets: 2, bytes: 20, reason: flow.EndForced,
				timeFirst: 300, timeLast: 320},
		},
	}, {
		name: "sweep expires an idle flow on a tick, with no packet in its bucket",
		steps: []step{
			send(a, b, udp, 0, 50, 0), tick(10), tick(20), tick(30), tick(32),
		},
		early: []want{{src: a, dst: b, packets: 1, bytes: 50, reason: flow.EndIdle}},
		all:   []want{{src: a, dst: b, packets: 1, bytes: 50, reason: flow.EndIdle}},
	}, {
		name: "sweep expires an idle flow when other packets move time on",
		steps: []step{
			send(a, b, udp, 0, 50, 0), send(c1, c2, icmp, 20, 84, 0),
			send(c1, c2, icmp, 40, 84, 0),
		},
		early: []want{{src: a, dst: b, packets: 1, bytes: 50, reason: flow.EndIdle}},
		all: []want{
			{src: a, dst: b, packets: 1, bytes: 50, reason: flow.EndIdle},
			{src: c1, dst: c2, packets: 2, bytes: 168, reason: flow.EndForced,
				timeFirst: 20, timeLast: 40},
		},
	}, {
		name: "a flow swept long after its active deadline still ends as active",
		steps: func() []step {
			var s []step
			for i := int64(0); i <= 290; i += 10 {
				s = append(s, send(a, b, udp, i, 10, 0))
			}
			return append(s, tick(1000))
		}(),
		early: []want{{src: a, dst: b, packets: 30, bytes: 300, reason: flow.EndActive,
			timeLast: 290}},
		all: []want{{src: a, dst: b, packets: 30, bytes: 300, reason: flow.EndActive,
			timeLast: 290}},
	}, {
		name:  "a jump of ten hours in packet time expires idle flows on the next tick",
		steps: []step{send(a, b, udp, 0, 50, 0), tick(1), tick(36000)},
		early: []want{{src: a, dst: b, packets: 1, bytes: 50, reason: flow.EndIdle}},
		all:   []want{{src: a, dst: b, packets: 1, bytes: 50, reason: flow.EndIdle}},
	}, {
		name: "a clock set back by more than the inactive timeout ends every flow",
		steps: []step{
			send(c1, c2, icmp, 36000, 84, 0), send(a, b, udp, 0, 50, 0),
			send(a, b, udp, 1, 50, 0), send(a, b, udp, 2, 50, 0),
		},
		// The first packet on the new clock may be a stray: it makes a record of its
		// own; the second confirms the set back.
		early: []want{
			{src: a, dst: b, packets: 1, bytes: 50, reason: flow.EndIdle},
			{src: c1, dst: c2, packets: 1, bytes: 84, reason: flow.EndForced,
				timeFirst: 36000, timeLast: 36000},
		},
		all: []want{
			{src: a, dst: b, packets: 1, bytes: 50, reason: flow.EndIdle},
			{src: c1, dst: c2, packets: 1, bytes: 84, reason: flow.EndForced,
				timeFirst: 36000, timeLast: 36000},
			{src: a, dst: b, packets: 2, bytes: 100, reason: flow.EndForced, timeFirst: 1,
				timeLast: 2},
		},
	}, {
		name: "one stray packet far back costs one record",
		steps: []step{
			send(c1, c2, icmp, 36000, 84, 0), send(a, b, udp, 0, 50, 0),
			send(c1, c2, icmp, 36001, 84, 0),
		},
		early: []want{{src: a, dst: b, packets: 1, bytes: 50, reason: flow.EndIdle}},
		all: []want{
			{src: a, dst: b, packets: 1, bytes: 50, reason: flow.EndIdle},
			{src: c1, dst: c2, packets: 2, bytes: 168, reason: flow.EndForced,
				timeFirst: 36000, timeLast: 36001},
		},
	}, {
		name: "a late packet within the inactive timeout joins its flow",
		steps: []step{
			send(a, b, udp, 0, 50, 0), send(c1, c2, icmp, 20, 84, 0),
			send(a, b, udp, 5, 50, 0),
		},
		all: []want{
			{src: a, dst: b, packets: 2, bytes: 100, reason: flow.EndForced, timeLast: 5},
			{src: c1, dst: c2, packets: 1, bytes: 84, reason: flow.EndForced,
				timeFirst: 20, timeLast: 20},
		},
	}, {
		name: "tcp close within fin wait is one biflow ended by end of flow",
		steps: []step{
			send(a, b, tcp, 0, 60, syn), send(b, a, tcp, 0, 60, syn|ack),
			send(a, b, tcp, 1, 52, ack), send(a, b, tcp, 2, 52, fin),
			send(b, a, tcp, 2, 52, fin), send(a, b, tcp, 2, 52, ack), tick(5),
		},
		early: []want{{src: a, dst: b, packets: 4, packetsRev: 2, bytes: 216,
			bytesRev: 112, reason: flow.EndOfFlow, timeLast: 2, tcpFlags: syn | fin,
			tcpFlagsRev: syn | fin}},
		all: []want{{src: a, dst: b, packets: 4, packetsRev: 2, bytes: 216,
			bytesRev: 112, reason: flow.EndOfFlow, timeLast: 2, tcpFlags: syn | fin,
			tcpFlagsRev: syn | fin}},
	}, {
		name: "with no fin wait the fin ends the flow and its reply opens a new one",
		cfg:  noFINWait,
		steps: []step{
			send(a, b, tcp, 0, 52, ack), send(a, b, tcp, 1, 52, fin),
			send(b, a, tcp, 1, 52, fin),
		},
		early: []want{
			{src: a, dst: b, packets: 2, bytes: 104, reason: flow.EndOfFlow,
				timeLast: 1, tcpFlags: fin},
			{src: b, dst: a, packets: 1, bytes: 52, reason: flow.EndOfFlow,
				timeFirst: 1, timeLast: 1, tcpFlags: fin},
		},
		all: []want{
			{src: a, dst: b, packets: 2, bytes: 104, reason: flow.EndOfFlow,
				timeLast: 1, tcpFlags: fin},
			{src: b, dst: a, packets: 1, bytes: 52, reason: flow.EndOfFlow,
				timeFirst: 1, timeLast: 1, tcpFlags: fin},
		},
	}, {
		name: "rst ends a flow at once",
		steps: []step{
			send(a, b, tcp, 0, 60, syn), send(b, a, tcp, 0, 40, rst|ack),
		},
		early: []want{{src: a, dst: b, packets: 1, packetsRev: 1, bytes: 60,
			bytesRev: 40, reason: flow.EndOfFlow, tcpFlags: syn, tcpFlagsRev: rst | ack}},
		all: []want{{src: a, dst: b, packets: 1, packetsRev: 1, bytes: 60,
			bytesRev: 40, reason: flow.EndOfFlow, tcpFlags: syn, tcpFlagsRev: rst | ack}},
	}, {
		name:  "a flow waiting out its fin at shutdown ends as end of flow",
		steps: []step{send(a, b, tcp, 0, 52, ack), send(a, b, tcp, 1, 52, fin)},
		all: []want{{src: a, dst: b, packets: 2, bytes: 104, reason: flow.EndOfFlow,
			timeLast: 1, tcpFlags: fin}},
	}, {
		name: "a syn reusing the ports of a closing flow starts a new flow",
		steps: []step{
			send(a, b, tcp, 0, 52, fin), send(a, b, tcp, 0, 60, syn),
		},
		early: []want{{src: a, dst: b, packets: 1, bytes: 52, reason: flow.EndOfFlow,
			tcpFlags: fin}},
		all: []want{
			{src: a, dst: b, packets: 1, bytes: 52, reason: flow.EndOfFlow, tcpFlags: fin},
			{src: a, dst: b, packets: 1, bytes: 60, reason: flow.EndForced, tcpFlags: syn},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, col := newCache(t, tc.cfg)
			for _, s := range tc.steps {
				if s.p != nil {
					c.Update(s.p)
				} else {
					c.Advance(t0 + s.tick*sec)
				}
			}
			c.Advance(c.now) // hand over the part batch without moving time
			check(t, col.records, tc.early)
			c.Flush()
			check(t, col.records, tc.all)
			st := c.Stats()
			if st.Active != 0 || st.Created != uint64(len(tc.all)) {
				t.Errorf("stats after flush: %+v", st)
			}
		})
	}
}
