package xdpflow

import (
	"runtime"
	"sync"
	"testing"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// cacheIndex is the slot cache_slot in flow.c gives k on CPU 0 of a cache with
// slots slots per CPU.
func cacheIndex(fk flow.Key, slots uint32) uint32 {
	const mul = 0x9e3779b97f4a7c15
	k := KeyOf(&fk)
	w := (*[5]uint64)(unsafe.Pointer(&k))
	h := w[0] * mul
	for _, x := range w[1:] {
		h = (h ^ x) * mul
	}
	bits := 0
	for 1<<bits < slots {
		bits++
	}
	return uint32(h >> (64 - bits))
}

// udpFrame is a UDP frame of flow 198.18.6.1:sport -> 198.18.6.2:53 and its key.
func udpFrame(sport uint16) ([]byte, flow.Key) {
	return cat(ether(0x0800), ipv4(17, "198.18.6.1", "198.18.6.2", 0, 0, udp(sport, 53, 20))),
		key("198.18.6.1", "198.18.6.2", sport, 53, 17, 0)
}

// partsByFlow swaps and drains, and returns every call of the drain's callback by flow.
func partsByFlow(t *testing.T, o *Objects) map[flow.Key][]FlowCounters {
	t.Helper()
	tables, err := o.Swap()
	if err != nil {
		t.Fatalf("swap: %v", err)
	}
	parts := map[flow.Key][]FlowCounters{}
	if err := tables.Drain(func(k *flow.Key, c *FlowCounters) {
		parts[*k] = append(parts[*k], *c)
	}); err != nil {
		t.Fatalf("drain: %v", err)
	}
	return parts
}

// TestCacheKeepsCountsExact sends flows whose later packets go to the cache of busy
// flows: one alone in its slot, and two that share a slot, interleaved, so that the
// second finds the slot taken. Every flow must come out of the drain once, with every
// packet, its first packet's time at the start, and the cache must be empty after it.
func TestCacheKeepsCountsExact(t *testing.T) {
	const packets = 7
	for _, layout := range layouts {
		t.Run(layout.String(), func(t *testing.T) {
			pinToCPU0(t)
			o := loadForTest(t, Config{Layout: layout, TableEntries: 64})
			alone, aloneKey := udpFrame(1000)
			shared, sharedKey := udpFrame(2000)
			var other []byte
			var otherKey flow.Key
			for p := uint16(2001); other == nil; p++ {
				f, k := udpFrame(p)
				if cacheIndex(k, o.slots) == cacheIndex(sharedKey, o.slots) &&
					cacheIndex(k, o.slots) != cacheIndex(aloneKey, o.slots) {
					other, otherKey = f, k
				}
			}
			for round := range 2 {
				for range packets {
					run(t, o, alone)
					run(t, o, shared)
					run(t, o, other)
				}
				parts := partsByFlow(t, o)
				for _, k := range []flow.Key{aloneKey, sharedKey, otherKey} {
					p := parts[k]
					if len(p) != 1 || p[0].Packets != packets ||
						p[0].Bytes != packets*uint64(len(alone)-14) ||
						p[0].FirstNs > p[0].LastNs {
						t.Errorf("round %d: flow %d: drain reported %+v, want one part "+
							"of %d packets", round, k.SrcPort, p, packets)
					}
				}
				if len(parts) != 3 {
					t.Errorf("round %d: %d flows drained, want 3", round, len(parts))
				}
			}
			// Both sets have been drained: their caches must hold nothing.
			for s, m := range o.cache {
				var slot flowSlot
				for i := range m.MaxEntries() {
					if err := m.Lookup(i, &slot); err != nil {
						t.Fatal(err)
					}
					if slot != (flowSlot{}) {
						t.Fatalf("set %d: slot %d not emptied: %+v", s, i, slot)
					}
				}
			}
		})
	}
}

// TestSwapUnderLoad runs the program on CPU 1 without pause while CPU 0 swaps and
// drains the tables again and again: the packets drained must be the packets sent,
// none lost and none counted twice, with the cache of busy flows in use. Each run is a
// single frame: a run of many repeats that a signal interrupts is started again from
// the beginning by the library, which would count its first frames twice.
func TestSwapUnderLoad(t *testing.T) {
	requireRoot(t)
	if runtime.NumCPU() < 2 {
		t.Skip("needs two CPUs: one runs the program while the other swaps")
	}
	const runs, flows = 600000, 8
	for _, layout := range layouts {
		t.Run(layout.String(), func(t *testing.T) {
			pinToCPU0(t)
			o := loadForTest(t, Config{Layout: layout, TableEntries: 1024})
			frames := make([][]byte, flows)
			for i := range frames {
				frames[i], _ = udpFrame(uint16(3000 + i))
			}
			var wg sync.WaitGroup
			var runErr error
			done := make(chan struct{})
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer close(done)
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				var set unix.CPUSet
				set.Set(1)
				if runErr = unix.SchedSetaffinity(0, &set); runErr != nil {
					return
				}
				for i := range runs {
					opts := &ebpf.RunOptions{Data: frames[i%flows]}
					if _, runErr = o.Program.Run(opts); runErr != nil {
						return
					}
				}
			}()
			var total uint64
			swaps := 0
			add := func() {
				for _, p := range partsByFlow(t, o) {
					for _, c := range p {
						total += c.Packets
					}
				}
				swaps++
			}
			for running := true; running; {
				select {
				case <-done:
					running = false
				default:
					add()
				}
			}
			wg.Wait()
			if runErr != nil {
				t.Fatalf("run on cpu 1: %v", runErr)
			}
			add() // the set the last runs wrote to
			add()
			if want := uint64(runs); total != want {
				t.Errorf("drained %d packets over %d swaps, sent %d", total, swaps, want)
			}
			t.Logf("%d packets over %d swaps", total, swaps)
		})
	}
}

// TestDrainMergesCacheParts puts parts into the cache of CPU 0 by hand: one of a flow
// that also has a table entry there, which Drain must merge into one report (the
// earlier part's start and MACs, the later end, sums and ORs), and one of a flow
// without a table entry, as a run between the two updates of a swap may leave, which
// Drain must report alone.
func TestDrainMergesCacheParts(t *testing.T) {
	for _, layout := range layouts {
		t.Run(layout.String(), func(t *testing.T) {
			pinToCPU0(t)
			o := loadForTest(t, Config{Layout: layout, TableEntries: 64})
			frame, inTable := udpFrame(4000)
			_, cacheOnly := udpFrame(4001)
			run(t, o, frame)
			late := FlowCounters{Packets: 5, Bytes: 500, FirstNs: 1 << 62,
				LastNs: 1<<62 + 1, SrcMAC: [6]byte{9}, TCPFlags: 0x02}
			alone := FlowCounters{Packets: 3, Bytes: 300, FirstNs: 7, LastNs: 8}
			slots := map[uint32]flowSlot{
				cacheIndex(inTable, o.slots):                 {KeyOf(&inTable), late},
				(cacheIndex(inTable, o.slots) + 1) % o.slots: {KeyOf(&cacheOnly), alone},
			}
			for i, s := range slots {
				if err := o.cache[o.active].Put(i, s); err != nil {
					t.Fatal(err)
				}
			}
			parts := partsByFlow(t, o)
			got := parts[inTable]
			if len(got) != 1 || got[0].Packets != 6 ||
				got[0].Bytes != 500+uint64(len(frame)-14) || got[0].FirstNs >= late.FirstNs ||
				got[0].LastNs != late.LastNs || got[0].SrcMAC == late.SrcMAC ||
				got[0].TCPFlags != late.TCPFlags {
				t.Errorf("flow with a table entry: drained %+v, want one merged part", got)
			}
			if got := parts[cacheOnly]; len(got) != 1 || got[0] != alone {
				t.Errorf("flow only in the cache: drained %+v, want %+v", got, alone)
			}
		})
	}
}
