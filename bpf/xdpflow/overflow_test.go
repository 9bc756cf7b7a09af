package xdpflow

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// readRing returns every event waiting in the ring buffer.
func readRing(t *testing.T, o *Objects) []PacketEvent {
	t.Helper()
	r, err := ringbuf.NewReader(o.Ring)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.SetDeadline(time.Now().Add(100 * time.Millisecond))
	var events []PacketEvent
	var rec ringbuf.Record
	for {
		err := r.ReadInto(&rec)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return events
		}
		if err != nil {
			t.Fatal(err)
		}
		ev, err := DecodePacketEvent(rec.RawSample)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
}

// TestFullTableAccountsEveryPacket sends far more flows than the tables hold and a
// ring buffer too small for the rest: every frame must be in a table, in the ring
// buffer, or in the lost counter, and the lost counter must be exact.
func TestFullTableAccountsEveryPacket(t *testing.T) {
	const flows = 400
	for _, layout := range layouts {
		t.Run(layout.String(), func(t *testing.T) {
			pinToCPU0(t)
			o := loadForTest(t, Config{Layout: layout, TableEntries: 16, RingBytes: 4096})
			sent := map[flow.Key]bool{}
			for i := range flows {
				port := uint16(1000 + i)
				frame := cat(ether(0x0800), ipv4(17, "198.18.2.1", "198.18.2.2", 0, 0,
					udp(port, 53, 0)))
				run(t, o, frame)
				sent[key("198.18.2.1", "198.18.2.2", port, 53, 17, 0)] = true
			}
			// A flow already in a table keeps counting when the table is full.
			first := cat(ether(0x0800), ipv4(17, "198.18.2.1", "198.18.2.2", 0, 0,
				udp(1000, 53, 0)))
			run(t, o, first)
			inTable := drain(t, o)
			if c := inTable[key("198.18.2.1", "198.18.2.2", 1000, 53, 17, 0)]; c.Packets != 2 {
				t.Errorf("first flow has %d packets after the table filled, want 2", c.Packets)
			}
			cnt, err := o.Counters()
			if err != nil {
				t.Fatal(err)
			}
			events := readRing(t, o)

			seen := map[flow.Key]int{}
			for k := range inTable {
				seen[k]++
			}
			for _, ev := range events {
				seen[ev.Key.Flow()]++
			}
			for k, n := range seen {
				if !sent[k] || n != 1 {
					t.Errorf("flow %+v seen %d times, sent %v", k, n, sent[k])
				}
			}
			if cnt[CounterTableFull] != uint64(len(events)) {
				t.Errorf("table_full counter %d, ring buffer events %d",
					cnt[CounterTableFull], len(events))
			}
			if len(inTable) != 16 {
				t.Errorf("%d flows in the table, want its capacity 16", len(inTable))
			}
			total := uint64(len(inTable)) + uint64(len(events)) + cnt[CounterRingLost]
			if total != flows { // the extra packet of the first flow is in inTable
				t.Errorf("tables %d + ring %d + lost %d = %d, sent %d", len(inTable),
					len(events), cnt[CounterRingLost], total, flows)
			}
			if len(events) == 0 || cnt[CounterRingLost] == 0 {
				t.Errorf("test did not fill both table and ring: ring %d lost %d",
					len(events), cnt[CounterRingLost])
			}
			t.Logf("tables %d, ring %d, lost %d", len(inTable), len(events), cnt[CounterRingLost])
		})
	}
}

func TestDropVerdict(t *testing.T) {
	o := loadForTest(t, Config{Drop: true, TableEntries: 64})
	good := cat(ether(0x0800), ipv4(6, "198.18.3.1", "198.18.3.2", 0, 0, tcp(1, 2, 2, 0)))
	for _, frame := range [][]byte{good, cat(ether(0x0806), make([]byte, 28))} {
		if v := run(t, o, frame); v != xdpDrop {
			t.Errorf("verdict %d, want XDP_DROP", v)
		}
	}
	if flows := drain(t, o); len(flows) != 1 {
		t.Errorf("dropped frames must still be counted: %+v", flows)
	}
}

// pinToCPU0 keeps the test on one CPU, so that it fills one CPU's table.
func pinToCPU0(t testing.TB) {
	t.Helper()
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
	var set unix.CPUSet
	set.Set(0)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		t.Fatalf("pin to cpu 0: %v", err)
	}
}
