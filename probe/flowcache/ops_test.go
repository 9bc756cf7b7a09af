package flowcache

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// directionless is the key of k's flow whichever direction k is: of k and its
// reverse, the one with the lower source address and port.
func directionless(k flow.Key) flow.Key {
	r := k.Reverse()
	if string(r.SrcAddr[:]) < string(k.SrcAddr[:]) ||
		r.SrcAddr == k.SrcAddr && r.SrcPort < k.SrcPort {
		return r
	}
	return k
}

// TestRandomOperations mixes every entry point of the cache (Update, UpdateBatch,
// Merge, Advance, SetTimeouts, time going back a little and a lot) over many
// configurations, and checks that every packet of every key comes out in that key's
// records, that the counters agree with the records, and that the sweep leaves no
// flow more than a sweep period past its deadline.
func TestRandomOperations(t *testing.T) {
	for seed := uint64(0); seed < 60; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { randomOperations(t, seed) })
	}
}

// randomOperations is one run of TestRandomOperations; seed picks the configuration
// and the operations.
func randomOperations(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	period := []time.Duration{10 * time.Millisecond, time.Second, time.Minute}[seed%3]
	c, col := newCache(t, Config{Capacity: 64, ActiveTimeout: 20 * time.Second,
		InactiveTimeout: 3 * time.Second, FINWait: time.Duration(seed%2) * time.Second,
		SweepPeriod: period, ExternalClock: seed%3 == 0, Split: seed%5 == 4,
		BatchSize: 1 + int(seed%7)})
	fed := map[flow.Key]uint64{}
	var packets, bytes uint64
	at := t0
	var batch []flow.Packet
	for range 5000 {
		at += int64(rng.IntN(int(sec/5))) - sec/40
		if rng.IntN(200) == 0 {
			at -= 100 * sec
		}
		p := randomPacket(rng, at)
		switch rng.IntN(10) {
		case 0:
			part := flow.Record{Key: p.Key, Packets: 2, PacketsRev: 1, Bytes: 2,
				BytesRev: 1, TimeFirst: at - int64(rng.IntN(int(2*sec))), TimeLast: at,
				TCPFlags: p.TCPFlags}
			c.Merge(&part)
			fed[directionless(p.Key)] += 3
			packets, bytes = packets+3, bytes+3
		case 1:
			c.Advance(at)
			checkSweepBound(t, c)
		case 2:
			err := c.SetTimeouts(time.Duration(1+rng.IntN(30))*time.Second,
				time.Duration(1+rng.IntN(10))*time.Second, 0)
			if err != nil {
				t.Fatal(err)
			}
		case 3:
			c.UpdateBatch(batch)
			batch = batch[:0]
		default:
			batch = append(batch, p)
			fed[directionless(p.Key)]++
			packets, bytes = packets+1, bytes+uint64(p.IPBytes)
		}
	}
	c.UpdateBatch(batch)
	c.Flush()

	checkFlushed(t, c, col.records, packets, bytes)
	got := map[flow.Key]uint64{}
	for _, r := range col.records {
		got[directionless(r.Key)] += r.Packets + r.PacketsRev
	}
	if len(got) != len(fed) {
		t.Fatalf("records of %d keys, packets of %d fed", len(got),
			len(fed))
	}
	for k, n := range fed {
		if got[k] != n {
			t.Fatalf("key %+v: %d packets fed, %d in records", k, n,
				got[k])
		}
	}
}

// TestSweepBoundUnderTimeJumps drives caches with sweep periods up to MaxTimeout
// through time jumps far over the 2^15 s the coarse deadlines can order, forwards and
// back, from starts at and below zero, with ExternalClock or not, with Merge of parts
// older than the clock and SetTimeouts, and checks after every call that no flow is
// a whole sweep period past its deadline.
func TestSweepBoundUnderTimeJumps(t *testing.T) {
	for seed := uint64(0); seed < 80; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { timeJumps(t, seed) })
	}
}

// timeJumps is one run of TestSweepBoundUnderTimeJumps; seed picks the configuration
// and the operations.
func timeJumps(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	period := []time.Duration{time.Second, time.Hour, MaxTimeout / 3, MaxTimeout}[seed%4]
	c, _ := newCache(t, Config{Capacity: Ways * 256, SweepPeriod: period,
		ExternalClock: seed%2 == 1, ActiveTimeout: MaxTimeout,
		InactiveTimeout: time.Duration(1+rng.IntN(600)) * time.Second})
	at := []int64{t0, 0, -50000 * sec, sec / 3}[seed/4%4]
	c.Advance(at)
	for range 4000 {
		switch r := rng.IntN(100); {
		case r < 3:
			at += int64(rng.IntN(3*(1<<15))) * sec
		case r < 4:
			at -= int64(rng.IntN(1<<16)) * sec
		default:
			at += int64(rng.IntN(int(period)/8+1)) - int64(rng.IntN(int(sec)))
		}
		p := randomPacket(rng, at)
		switch rng.IntN(8) {
		case 0:
			part := flow.Record{Key: p.Key, Packets: 1, Bytes: 1,
				TimeFirst: at - int64(rng.IntN(int(MaxTimeout))), TimeLast: at}
			c.Merge(&part)
		case 1:
			c.Advance(at)
		case 2:
			active := time.Duration(1+rng.IntN(int(MaxTimeout/time.Second))) * time.Second
			inactive := time.Duration(1+rng.IntN(600)) * time.Second
			if err := c.SetTimeouts(active, inactive, 0); err != nil {
				t.Fatal(err)
			}
		default:
			c.Update(&p)
		}
		checkSweepBound(t, c)
	}
}
