package xdpsource

import (
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/bpf/xdpflow"
	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/flow"
)

type lastMerged struct{ rec flow.Record }

func (l *lastMerged) Merge(agg *flow.Record) { l.rec = *agg }

// TestMergeConvertsTimesAndAllocatesNothing checks the records the drainer builds
// from table entries and ring buffer events: fields, the monotonic-to-wall offset,
// and that building them allocates nothing.
func TestMergeConvertsTimesAndAllocatesNothing(t *testing.T) {
	m := &lastMerged{}
	d := &drainer{m: m, ifIndex: 7, offset: 1_000_000_000}

	var k flow.Key
	k.SrcPort, k.DstPort, k.Protocol, k.IPVersion = 1, 2, 6, 4
	c := xdpflow.FlowCounters{Packets: 3, Bytes: 180, FirstNs: 10, LastNs: 20,
		TCPFlags: 0x12, SrcMAC: [6]byte{1}, DstMAC: [6]byte{2}}
	d.mergeCounters(&k, &c)
	want := flow.Record{Key: k, Packets: 3, Bytes: 180, TCPFlags: 0x12,
		TimeFirst: 1_000_000_010, TimeLast: 1_000_000_020, IfIndex: 7,
		SrcMAC: [6]byte{1}, DstMAC: [6]byte{2}}
	if m.rec != want {
		t.Errorf("table entry became %+v, want %+v", m.rec, want)
	}

	ev := xdpflow.PacketEvent{Key: xdpflow.KeyOf(&k), TimeNs: 5, IPBytes: 60, TCPFlags: 0x02,
		ICMPTypeCode: 0}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&ev)), unsafe.Sizeof(ev))
	if err := d.mergeEvent(raw); err != nil {
		t.Fatal(err)
	}
	want = flow.Record{Key: k, Packets: 1, Bytes: 60, TCPFlags: 0x02,
		TimeFirst: 1_000_000_005, TimeLast: 1_000_000_005, IfIndex: 7}
	if m.rec != want {
		t.Errorf("ring event became %+v, want %+v", m.rec, want)
	}
	if err := d.mergeEvent(raw[:10]); err == nil {
		t.Error("a short ring record was accepted")
	}

	allocs := testing.AllocsPerRun(100, func() {
		d.mergeCounters(&k, &c)
		_ = d.mergeEvent(raw)
	})
	if allocs != 0 {
		t.Errorf("merging allocates %.1f times per record pair", allocs)
	}
}

func TestMonoOffset(t *testing.T) {
	off, err := monoOffset()
	if err != nil {
		t.Fatal(err)
	}
	var mono unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono); err != nil {
		t.Fatal(err)
	}
	if d := time.Duration(mono.Nano() + off - time.Now().UnixNano()); d.Abs() > time.Millisecond {
		t.Errorf("monotonic time plus offset is %v off the wall clock", d)
	}
}

// orderedMerger notes the order of the merges and of the step reports it is told of.
type orderedMerger struct{ events []string }

func (m *orderedMerger) Merge(*flow.Record) { m.events = append(m.events, "merge") }

// TestDrainTellsOfClockStepBack checks that a drain which finds the wall clock set
// back since the previous drain reports the step before it merges anything, so that
// the flow cache learns of the new clock before any time of it arrives; and that a
// drain on a steady clock reports nothing.
func TestDrainTellsOfClockStepBack(t *testing.T) {
	testhost.RequireRoot(t)
	objs, err := xdpflow.Load(xdpflow.Config{TableEntries: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	m := &orderedMerger{}
	d, err := newDrainer(objs, m, 1)
	if err != nil {
		t.Fatal(err)
	}
	var steps []int64
	stepped := func(step int64) {
		steps = append(steps, step)
		m.events = append(m.events, "step")
	}
	count := func() {
		t.Helper()
		if _, err := objs.Program.Run(&ebpf.RunOptions{Data: udpFrame(1)}); err != nil {
			t.Fatal(err)
		}
	}

	count()
	if err := d.drainTables(stepped); err != nil {
		t.Fatal(err)
	}
	if len(steps) != 0 || len(m.events) != 1 {
		t.Fatalf("a steady clock: steps %v, events %v; want no step and one merge",
			steps, m.events)
	}
	m.events = nil
	count()
	d.offset += int64(time.Hour) // as if the wall clock were an hour ahead before
	if err := d.drainTables(stepped); err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || time.Duration(-steps[0]-int64(time.Hour)).Abs() > time.Second {
		t.Fatalf("a clock set back an hour reported steps %v", steps)
	}
	if fmt.Sprint(m.events) != "[step merge]" {
		t.Errorf("events %v, want the step reported before the merge", m.events)
	}
}
