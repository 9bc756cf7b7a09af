package xdpsource

import (
	"fmt"
	"time"

	"github.com/flowprobe/flowprobe/bpf/xdpflow"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// drainer turns what the kernel counted into partial flows for a Merger. It reuses
// one record, so merging allocates nothing.
type drainer struct {
	objs    *xdpflow.Objects
	m       Merger
	ifIndex uint32
	offset  int64 // Unix ns minus CLOCK_MONOTONIC ns, taken at the last drain
	rec     flow.Record
	stats   Stats
	merge   func(k *flow.Key, c *xdpflow.FlowCounters)
}

func newDrainer(objs *xdpflow.Objects, m Merger, ifIndex uint32) (*drainer, error) {
	d := &drainer{objs: objs, m: m, ifIndex: ifIndex}
	d.merge = d.mergeCounters
	if err := d.refreshOffset(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *drainer) refreshOffset() error {
	off, err := monoOffset()
	if err != nil {
		return fmt.Errorf("read clocks: %w", err)
	}
	d.offset = off
	return nil
}

// drainTables swaps the tables and merges every entry of the set swapped out. The
// entries' times are on the wall clock as it reads now; when it went back since the
// last drain (a step of the system clock), stepped, unless nil, is called with the
// step before they are merged, so that the flow cache learns of the step before any
// time of the new clock reaches it.
func (d *drainer) drainTables(stepped func(step int64)) error {
	tables, err := d.objs.Swap()
	if err != nil {
		return err
	}
	old := d.offset
	if err := d.refreshOffset(); err != nil {
		return err
	}
	if step := d.offset - old; step < -int64(time.Second) && stepped != nil {
		stepped(step)
	}
	if err := tables.Drain(d.merge); err != nil {
		return err
	}
	d.stats.Drains++
	return nil
}

// mergeCounters merges one flow's counters from one CPU.
func (d *drainer) mergeCounters(k *flow.Key, c *xdpflow.FlowCounters) {
	d.rec = flow.Record{
		Key:          *k,
		SrcMAC:       c.SrcMAC,
		DstMAC:       c.DstMAC,
		Packets:      c.Packets,
		Bytes:        c.Bytes,
		TCPFlags:     c.TCPFlags,
		ICMPTypeCode: c.ICMPTypeCode,
		TimeFirst:    int64(c.FirstNs) + d.offset,
		TimeLast:     int64(c.LastNs) + d.offset,
		IfIndex:      d.ifIndex,
		Direction:    flow.Ingress,
	}
	d.m.Merge(&d.rec)
	d.stats.Partials++
	d.stats.Packets += c.Packets
}

// mergeEvent merges one ring buffer record, a frame whose table was full, as a flow
// of one packet.
func (d *drainer) mergeEvent(raw []byte) error {
	ev, err := xdpflow.DecodePacketEvent(raw)
	if err != nil {
		return err
	}
	ts := int64(ev.TimeNs) + d.offset
	d.rec = flow.Record{
		Key:          ev.Key.Flow(),
		SrcMAC:       ev.SrcMAC,
		DstMAC:       ev.DstMAC,
		Packets:      1,
		Bytes:        uint64(ev.IPBytes),
		TCPFlags:     ev.TCPFlags,
		ICMPTypeCode: ev.ICMPTypeCode,
		TimeFirst:    ts,
		TimeLast:     ts,
		IfIndex:      d.ifIndex,
		Direction:    flow.Ingress,
	}
	d.m.Merge(&d.rec)
	d.stats.RingPackets++
	return nil
}
