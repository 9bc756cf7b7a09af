// Package flowcache aggregates parsed packets into flow records.
//
// A Cache is a fixed-size, set-associative hash table: a key hashes to one bucket of
// Ways slots, and a new flow that finds its bucket full pushes out the slot closest to
// its deadline. Nothing is ever dropped: a pushed-out flow is exported with
// EndLackOfResource (or with its own reason when it had already timed out).
//
// A flow is identified by flow.Key: addresses, ports, protocol, VLAN ID and, for a
// decapsulated flow, the tunnel's type and ID (VXLAN VNI or GRE key). MACs,
// interface, direction, ICMP type and the tunnel's outer addresses are those of the
// flow's first packet.
//
// Flows end on packet time, never on the wall clock, so a trace replays to the same
// records every time (with Config.ExternalClock, on the times given to Advance):
//   - inactive timeout (EndIdle): no packet for InactiveTimeout;
//   - active timeout (EndActive): the flow began ActiveTimeout ago; the next packet
//     starts a new record;
//   - TCP end (EndOfFlow): a RST ends the flow at once; a FIN ends it FINWait later, so
//     that the peer's FIN and the final ACK still count in the same biflow (with
//     FINWait 0 the flow ends at the FIN, as ipfixprobe does, and the reply opens a new
//     record); a SYN that reuses the ports of a closing flow ends it at once;
//   - shutdown, end of a trace or a clock set back (EndForced): Flush; a flow waiting
//     out its FIN leaves as EndOfFlow then.
//
// A sweep walks a slice of the table every time packet time (or Advance) moves on, so
// that a whole pass takes SweepPeriod; a flow expires at most SweepPeriod after its
// deadline even when no packet touches its bucket. The sweep reads only the dense
// array of hash tags, where each flow's deadline is kept to the second, and opens a
// flow's slot only when it may be due; that is why timeouts are limited to MaxTimeout
// (4.5 hours). A late packet whose flow is due by the cache clock ends that flow at
// once and starts a record of its own.
//
// Time that goes back by more than InactiveTimeout is taken for a clock set back (a
// step of the system clock, traces joined out of order): every flow ends as at Flush
// and the clock starts again from the earlier time (Stats.ClockSetBack). With packet
// time, one such time could be a bad timestamp: the set back is believed only when a
// second time that far back follows it (a tick only when later than the first), and
// the packet or part of the first makes a record of its own. A tick of an
// ExternalClock is believed at once, and a packet or part that far behind it makes a
// record of its own.
//
// Memory: every slot holds a flow.Record (160 bytes on 64-bit) and an 8-byte
// deadline, padded to 192 bytes so that slots do not straddle cache lines, plus a
// 4-byte hash tag: 196 bytes per flow in all, allocated once in New. The default
// capacity of 262,144 flows takes 51 MB.
//
// A Cache is not safe for concurrent use: each capture worker owns its own, which is
// what lets the per-packet path run without locks. Update, UpdateBatch and Merge do not
// allocate.
package flowcache
