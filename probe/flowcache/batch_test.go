package flowcache

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// TestUpdateBatchMatchesUpdate feeds the same random traffic (flows that repeat,
// reverse, collide in full buckets, close with FIN and RST, and time out, and time
// now and then set back, which empties the cache in the middle of a batch) packet by
// packet to one cache and in batches of every size to another, and wants the same
// records in the same order and the same counters.
func TestUpdateBatchMatchesUpdate(t *testing.T) {
	configs := []Config{
		{Capacity: Ways, BatchSize: 5},
		{Capacity: 4 * Ways, Split: true},
		{Capacity: 64, InactiveTimeout: time.Second, FINWait: -1},
	}
	for _, cfg := range configs {
		rng := rand.New(rand.NewPCG(3, 4))
		packets := make([]flow.Packet, 5000)
		at := t0
		for i := range packets {
			at += int64(rng.IntN(int(sec / 20)))
			if rng.IntN(500) == 0 {
				at -= 100 * sec
			}
			packets[i] = randomPacket(rng, at)
		}

		one, oneOut := newCache(t, cfg)
		for i := range packets {
			one.Update(&packets[i])
		}
		one.Flush()

		batched, batchedOut := newCache(t, cfg)
		for rest := packets; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(3*hashRing))
			batched.UpdateBatch(rest[:n])
			rest = rest[n:]
		}
		batched.Flush()

		if len(oneOut.records) == 0 {
			t.Fatalf("config %+v: no records", cfg)
		}
		if !reflect.DeepEqual(oneOut.records, batchedOut.records) {
			t.Errorf("config %+v: UpdateBatch gave %d records, Update %d, or they differ",
				cfg, len(batchedOut.records), len(oneOut.records))
		}
		if one.Stats() != batched.Stats() {
			t.Errorf("config %+v: stats %+v after UpdateBatch, %+v after Update", cfg,
				batched.Stats(), one.Stats())
		}
	}
}

// FuzzUpdateBatch decodes packets from the fuzz input (few addresses and ports, so
// that flows repeat, reverse and collide; times that jump both ways; TCP flags) and
// checks that UpdateBatch, fed in slices whose sizes also come from the input, gives
// exactly the records and counters of Update.
func FuzzUpdateBatch(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, uint8(0))
	f.Add([]byte("\x01\x02\x10\xff\x05\x02\x01\x10\x00\x01\x13\x04\x40\x80\x02"), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		cfg := Config{Capacity: Ways * 2, BatchSize: 1 + int(mode>>4),
			InactiveTimeout: 2 * time.Second, FINWait: time.Duration(mode&1) * time.Second,
			Split: mode&2 != 0}
		var packets []flow.Packet
		at := t0
		// Each 4-byte chunk: endpoints, ports and protocol, time step, flags.
		for ; len(data) >= 4; data = data[4:] {
			var p flow.Packet
			p.IPVersion, p.Protocol = 4, []uint8{tcp, udp}[data[1]>>7]
			p.SrcAddr[15], p.DstAddr[15] = data[0]&7, data[0]>>3&7
			p.SrcPort, p.DstPort = uint16(data[1]&3), uint16(data[1]>>2&3)
			at += int64(int8(data[2])) * sec / 8
			p.Timestamp, p.IPBytes, p.TCPFlags = at, 40+uint32(data[3]), data[3]&0x1f
			packets = append(packets, p)
		}

		one, oneOut := newCache(t, cfg)
		for i := range packets {
			one.Update(&packets[i])
		}
		one.Flush()

		batched, batchedOut := newCache(t, cfg)
		step := 1 + int(mode>>2&3)*7
		for rest := packets; len(rest) > 0; {
			n := min(len(rest), step)
			batched.UpdateBatch(rest[:n])
			rest = rest[n:]
		}
		batched.Flush()

		if !reflect.DeepEqual(oneOut.records, batchedOut.records) ||
			one.Stats() != batched.Stats() {
			t.Fatalf("UpdateBatch in slices of %d gave %d records, Update %d, or they"+
				" differ", step, len(batchedOut.records), len(oneOut.records))
		}
	})
}
