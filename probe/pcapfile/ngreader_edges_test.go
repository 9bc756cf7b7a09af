package pcapfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestPcapngLargeLastBlock reads files whose last packet block is larger than the
// prefetch distance, as a GRO or jumbo frame is, from a file mapping and from a
// mapping on the heap: the reader ends exactly at the end of the mapping.
func TestPcapngLargeLastBlock(t *testing.T) {
	for _, size := range []int{prefetchDistance, prefetchDistance + 1500, 65000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			var w ngBuilder
			w.section(binary.LittleEndian, 1)
			w.iface(1, 0)
			w.packet(ngEnhancedPacket, 0, 1, frameOf(60, 1), 60)
			w.packet(ngEnhancedPacket, 0, 2, frameOf(size, 2), uint32(size))
			rec, err := readAll(t, writeTemp(t, "big-last.pcapng", w.b), false)
			if err != nil || len(rec.frames) != 2 || rec.frames[1].WireLen != size {
				t.Fatalf("from the file: %d frames, error %v", len(rec.frames), err)
			}
			checkMappedAgrees(t, w.b)
		})
	}
}

// TestPcapngMappedKeepsCurrentBlock reads a pcapng file of many mapping steps from a
// heap mapping whose forgotten pages turn to garbage: the frames must be those read
// with read calls, so the reader never drops the pages of a block it hands out.
func TestPcapngMappedKeepsCurrentBlock(t *testing.T) {
	var w ngBuilder
	w.section(binary.LittleEndian, 1)
	w.iface(1, 0)
	for i := 0; len(w.b) < 3*forgetStep; i++ {
		w.packet(ngEnhancedPacket, 0, uint64(i), frameOf(1500, byte(i)), 1500)
		if i%100 == 0 {
			w.block(0x0bad, make([]byte, 3000)) // blocks without packets count too
		}
	}
	mapped, err := newMappedSource("many.pcapng", heapMapping(w.b), bytes.NewReader(nil),
		Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := readSource(t, mapped)
	if err != nil {
		t.Fatal(err)
	}
	want, err := readSource(t, mustSource(t, w.b))
	if err != nil {
		t.Fatal(err)
	}
	if diff := sameFrames(got, want); diff != "" {
		t.Fatalf("mapped and read runs differ: %s", diff)
	}
}

// TestPcapngErrorNamesTheBlock checks that an error names the offset of the damaged
// block, not of the blocks without packets before it.
func TestPcapngErrorNamesTheBlock(t *testing.T) {
	var w ngBuilder
	w.section(binary.LittleEndian, 1)
	w.iface(1, 0)
	w.packet(ngEnhancedPacket, 0, 1, frameOf(60, 1), 60)
	w.block(0x0bad, make([]byte, 4000))
	w.iface(1, 0)
	damaged := len(w.b)
	w.packet(ngEnhancedPacket, 7, 1, frameOf(60, 2), 60)
	_, err := readAll(t, writeTemp(t, "damaged.pcapng", w.b), false)
	want := fmt.Sprintf("packet 2 at offset %d: packet of interface 7", damaged)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want it to contain %q", err, want)
	}
}

// TestTickAtExtremeTimes reads times from both ends of the range an int64 of
// nanoseconds holds, where a subtraction would overflow: Tick must follow the jump
// forwards, and the jump back must not tick an earlier time of its own.
func TestTickAtExtremeTimes(t *testing.T) {
	le := binary.LittleEndian
	var w ngBuilder
	w.section(le, 1)
	late, early := int64(maxOffset), int64(-maxOffset)
	w.iface(1, 0, w.option(ngOptionTSOffset, le.AppendUint64(nil, uint64(late))))
	w.iface(1, 0, w.option(ngOptionTSOffset, le.AppendUint64(nil, uint64(early))))
	w.packet(ngEnhancedPacket, 1, 0, frameOf(60, 1), 60) // 1677
	w.packet(ngEnhancedPacket, 0, 0, frameOf(60, 2), 60) // 2262
	w.packet(ngEnhancedPacket, 1, 0, frameOf(60, 3), 60) // 1677 again
	rec, err := readAll(t, writeTemp(t, "extremes.pcapng", w.b), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{early * 1e9, late * 1e9}
	if len(rec.ticks) != len(want) || rec.ticks[0] != want[0] || rec.ticks[1] != want[1] {
		t.Errorf("ticks %d, want %d", rec.ticks, want)
	}
}

// TestTicksGoOnAfterTimeGoesBack reads a trace whose time goes back an hour, as
// traces joined out of order do: the ticks go on from the earlier time rather than
// stopping until the trace is back at the later one.
func TestTicksGoOnAfterTimeGoesBack(t *testing.T) {
	const s = int64(time.Second)
	t0 := int64(1_700_000_000) * s
	ts := []int64{t0, t0 + 10*s, t0 - 3600*s, t0 - 3590*s, t0 - 3580*s}
	frames := make([][]byte, len(ts))
	for i := range frames {
		frames[i] = frameOf(60, byte(i))
	}
	path := writeTemp(t, "joined.pcap", handPcap(binary.LittleEndian, true, 1, ts, frames))
	rec, err := readAll(t, path, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{t0, t0 + 10*s, t0 - 3590*s, t0 - 3580*s}
	if fmt.Sprint(rec.ticks) != fmt.Sprint(want) {
		t.Errorf("ticks %d, want %d", rec.ticks, want)
	}
}
