package flowcache

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// TestUpdateBatchMatchesUpdate feeds the same random traffic (flows that repeat,
// reverse, collide in full buckets, close with FIN and RST, and time out) packet by
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
