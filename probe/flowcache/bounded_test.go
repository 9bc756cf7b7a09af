package flowcache

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// randomPacket draws a packet from a small address space, so that flows repeat, meet
// their reverse direction and collide in buckets.
func randomPacket(rng *rand.Rand, at int64) flow.Packet {
	src := netip.AddrFrom4([4]byte{198, 18, 0, byte(rng.IntN(8))})
	dst := netip.AddrFrom4([4]byte{198, 18, 1, byte(rng.IntN(8))})
	if rng.IntN(2) == 0 {
		src, dst = dst, src
	}
	var p flow.Packet
	p.SetAddrs(src, dst)
	p.SrcPort = uint16(1000 + rng.IntN(4))
	p.DstPort = uint16(1000 + rng.IntN(4))
	p.Protocol = []uint8{tcp, udp}[rng.IntN(2)]
	p.VLAN = uint16(rng.IntN(2))
	if rng.IntN(4) == 0 {
		p.TunnelType, p.TunnelID = flow.TunnelVXLAN, uint32(1+rng.IntN(2))
	}
	p.Timestamp = at
	p.IPBytes = uint32(40 + rng.IntN(1400))
	if p.Protocol == tcp {
		p.TCPFlags = []uint8{ack, ack, ack, syn, fin, rst}[rng.IntN(6)]
	}
	return p
}

// TestConservation feeds random traffic through caches too small for it and checks
// that every packet and byte comes out in some record, whatever the configuration.
func TestConservation(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		{"one bucket, biflow", Config{Capacity: Ways, BatchSize: 7}},
		{"one bucket, split", Config{Capacity: Ways, Split: true}},
		{"short timeouts", Config{Capacity: 64, ActiveTimeout: 5 * time.Second,
			InactiveTimeout: 2 * time.Second, FINWait: -1}},
		{"roomy", Config{Capacity: 4096}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, col := newCache(t, tc.cfg)
			rng := rand.New(rand.NewPCG(1, 2))
			var packets, bytes uint64
			at := t0
			for range 20000 {
				at += int64(rng.IntN(int(sec / 50)))
				p := randomPacket(rng, at)
				packets++
				bytes += uint64(p.IPBytes)
				c.Update(&p)
				if c.Stats().Active > c.Config().Capacity {
					t.Fatalf("%d flows in a cache of %d", c.Stats().Active,
						c.Config().Capacity)
				}
			}
			c.Flush()
			checkFlushed(t, c, col.records, packets, bytes)
			t.Logf("%d records, by end reason %v", len(col.records), c.Stats().Ended)
		})
	}
}

func TestEvictionWhenFull(t *testing.T) {
	c, col := newCache(t, Config{Capacity: Ways})
	for i := range 3 * Ways {
		p := pkt("198.18.0.1:1000", "198.18.0.2:1000", udp, t0+int64(i), 100, 0)
		p.SrcPort = uint16(2000 + i)
		c.Update(&p)
	}
	c.Advance(c.now)
	if got := len(col.records); got != 2*Ways {
		t.Fatalf("%d records left a full cache, want %d", got, 2*Ways)
	}
	for i, r := range col.records {
		if r.EndReason != flow.EndLackOfResource || r.Packets != 1 {
			t.Fatalf("evicted record %d: reason %v packets %d", i, r.EndReason, r.Packets)
		}
		// The flow closest to its deadline goes first: the oldest here.
		if r.SrcPort != uint16(2000+i) {
			t.Fatalf("evicted record %d has port %d, want the oldest flow %d", i,
				r.SrcPort, 2000+i)
		}
	}
}

func TestVLANInKey(t *testing.T) {
	c, col := newCache(t, Config{})
	for _, vlan := range []uint16{0, 42, 42, 10} {
		p := pkt(a, b, tcp, t0, 60, ack)
		p.VLAN = vlan
		c.Update(&p)
	}
	c.Flush()
	got := map[uint16]uint64{}
	for _, r := range col.records {
		got[r.VLAN] += r.Packets
	}
	if len(col.records) != 3 || got[0] != 1 || got[42] != 2 || got[10] != 1 {
		t.Fatalf("packets by VLAN %v in %d records, want 0:1 42:2 10:1 in 3", got,
			len(col.records))
	}
}

// TestSweepPeriodChangesNoRecord runs the same traffic through caches that sweep
// often and rarely: the records must be the same, only their order may differ. The
// traffic starts at several times, some around zero, where whole seconds round
// towards zero.
func TestSweepPeriodChangesNoRecord(t *testing.T) {
	run := func(start int64, period time.Duration) []string {
		c, col := newCache(t, Config{Capacity: 256, ActiveTimeout: 20 * time.Second,
			InactiveTimeout: 3 * time.Second, SweepPeriod: period})
		rng := rand.New(rand.NewPCG(5, 6))
		at := start
		for range 20000 {
			at += int64(rng.IntN(int(sec / 20)))
			p := randomPacket(rng, at)
			c.Update(&p)
		}
		c.Flush()
		lines := make([]string, len(col.records))
		for i, r := range col.records {
			lines[i] = fmt.Sprintf("%+v", r)
		}
		sort.Strings(lines)
		return lines
	}
	for _, start := range []int64{t0, -100 * sec, -sec / 3, 0} {
		often, rarely := run(start, 10*time.Millisecond), run(start, time.Hour)
		if !reflect.DeepEqual(often, rarely) {
			t.Fatalf("from %v: sweeping every 10 ms gives %d records, every hour %d,"+
				" and they differ", time.Duration(start), len(often), len(rarely))
		}
		t.Logf("from %v: %d records either way", time.Duration(start), len(often))
	}
}
