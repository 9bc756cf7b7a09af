package flowcache

import "github.com/flowprobe/flowprobe/probe/flow"

// Merge adds a partial flow, aggregated elsewhere (by the XDP program, for one), to
// the flow of its key: packet and byte counters of both directions are added, TCP
// flags are or-ed, and the flow's times widen to cover agg's. In biflow mode a partial
// flow of the reverse direction lands in the *Rev counters. When no flow exists, agg
// opens one with its own addresses, MACs, interface and tunnel. A partial flow of the
// reverse direction that began before the flow turns it round, so that the source is
// the side of the earliest packet whatever order the parts come in. agg.EndReason is
// ignored: timeouts and TCP end work as for packets, on agg.TimeLast, and a partial
// flow far behind the clock that does not set it back is a record of its own.
func (c *Cache) Merge(agg *flow.Record) {
	c.stats.Merged++
	if c.arrive(agg.TimeLast) {
		c.exportStray(agg)
		return
	}

	flags := agg.TCPFlags | agg.TCPFlagsRev
	h := hashKey(&agg.Key)
	slot, reverse := c.lookup(&agg.Key, h, flags)
	if slot < 0 {
		slot = c.open(&agg.Key, h, agg.TimeFirst)
		r := &c.slots[slot].rec
		r.SrcMAC, r.DstMAC = agg.SrcMAC, agg.DstMAC
		r.ICMPTypeCode = agg.ICMPTypeCode
		r.IfIndex = agg.IfIndex
		r.Direction = agg.Direction
		r.Tunnel = agg.Tunnel
	}

	r := &c.slots[slot].rec
	if reverse && agg.TimeFirst < r.TimeFirst {
		// Parts come in no time order: the side that sent first is the source, and
		// what a record keeps of its first packet comes from that side's part.
		turn(r)
		r.SrcMAC, r.DstMAC = agg.SrcMAC, agg.DstMAC
		r.ICMPTypeCode = agg.ICMPTypeCode
		r.IfIndex, r.Direction, r.Tunnel = agg.IfIndex, agg.Direction, agg.Tunnel
		reverse = false
	}
	fwdPackets, fwdBytes, fwdFlags := agg.Packets, agg.Bytes, agg.TCPFlags
	revPackets, revBytes, revFlags := agg.PacketsRev, agg.BytesRev, agg.TCPFlagsRev
	if reverse {
		fwdPackets, revPackets = revPackets, fwdPackets
		fwdBytes, revBytes = revBytes, fwdBytes
		fwdFlags, revFlags = revFlags, fwdFlags
	}
	r.Packets += fwdPackets
	r.Bytes += fwdBytes
	r.TCPFlags |= fwdFlags
	r.PacketsRev += revPackets
	r.BytesRev += revBytes
	r.TCPFlagsRev |= revFlags
	c.touch(slot, agg.TimeFirst, agg.TimeLast, flags)
}

// turn swaps the directions of r's key and counters.
func turn(r *flow.Record) {
	r.Key = r.Key.Reverse()
	r.Packets, r.PacketsRev = r.PacketsRev, r.Packets
	r.Bytes, r.BytesRev = r.BytesRev, r.Bytes
	r.TCPFlags, r.TCPFlagsRev = r.TCPFlagsRev, r.TCPFlags
}
