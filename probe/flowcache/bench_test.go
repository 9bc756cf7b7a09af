package flowcache

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// mixPackets builds n packets of nFlows biflows whose sizes follow a Zipf law, as in
// real traffic: a few heavy flows and a long tail. 70 % TCP, 24 % UDP, 6 % ICMP, one
// flow in ten over IPv6; directions alternate at random; packet time moves 1 µs a
// packet.
func mixPackets(n, nFlows int) []flow.Packet {
	rng := rand.New(rand.NewPCG(7, 11))
	keys := make([]flow.Key, nFlows)
	for i := range keys {
		var src, dst netip.Addr
		if rng.IntN(10) == 0 {
			src = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i >> 8),
				15: byte(i)})
			dst = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 4: 1,
				15: byte(rng.IntN(256))})
		} else {
			src = netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
			dst = netip.AddrFrom4([4]byte{198, 19, byte(rng.IntN(4)), byte(rng.IntN(256))})
		}
		k := &keys[i]
		k.SetAddrs(src, dst)
		switch r := rng.IntN(100); {
		case r < 70:
			k.Protocol = tcp
		case r < 94:
			k.Protocol = udp
		default:
			k.Protocol = icmp
		}
		if k.Protocol != icmp {
			k.SrcPort = uint16(1024 + rng.IntN(60000))
			k.DstPort = []uint16{443, 80, 53, 123, 8080}[rng.IntN(5)]
		}
	}
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(nFlows-1))
	packets := make([]flow.Packet, n)
	for i := range packets {
		p := &packets[i]
		p.Key = keys[zipf.Uint64()]
		if rng.IntN(2) == 0 {
			p.Key = p.Key.Reverse()
		}
		p.Timestamp = t0 + int64(i)*1000
		p.IPBytes = uint32(40 + rng.IntN(1460))
		if p.Protocol == tcp {
			p.TCPFlags = ack
		}
	}
	return packets
}

// BenchmarkUpdate measures one packet through the cache (ns/op is ns per packet) on
// 1,000,000 packets of 100,000 flows.
func BenchmarkUpdate(b *testing.B) {
	for _, split := range []bool{false, true} {
		name := "biflow"
		if split {
			name = "split"
		}
		b.Run(name, func(b *testing.B) {
			packets := mixPackets(1<<20, 100_000)
			span := packets[len(packets)-1].Timestamp - packets[0].Timestamp + 1000
			c, err := New(Config{Split: split}, func(batch []flow.Record) []flow.Record {
				return batch[:0]
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			var shift int64
			for i := 0; i < b.N; i++ {
				j := i & (len(packets) - 1)
				if j == 0 && i > 0 {
					shift += span
				}
				p := packets[j]
				p.Timestamp += shift
				c.Update(&p)
			}
			b.StopTimer()
			b.ReportMetric(float64(c.Stats().Active), "flows")
		})
	}
}

// BenchmarkMapBaseline is the same work with a Go map and no timeouts, the simplest
// cache one could write; it gives BenchmarkUpdate a yardstick on the same machine.
func BenchmarkMapBaseline(b *testing.B) {
	packets := mixPackets(1<<20, 100_000)
	m := make(map[flow.Key]*flow.Record, 1<<18)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := &packets[i&(len(packets)-1)]
		r, ok := m[p.Key]
		if !ok {
			if r, ok = m[p.Key.Reverse()]; !ok {
				r = &flow.Record{Key: p.Key, TimeFirst: p.Timestamp}
				m[p.Key] = r
			}
		}
		r.Packets++
		r.Bytes += uint64(p.IPBytes)
		r.TimeLast = p.Timestamp
	}
}

// filledCache returns a default-sized cache fed 200,000 packets of 100,000 flows of
// the mix, one nanosecond apart.
func filledCache(b *testing.B) *Cache {
	c, err := New(Config{}, func(batch []flow.Record) []flow.Record { return batch[:0] })
	if err != nil {
		b.Fatal(err)
	}
	for i, p := range mixPackets(200_000, 100_000) {
		p.Timestamp = t0 + int64(i)
		c.Update(&p)
	}
	return c
}

// BenchmarkSweep measures one full pass of the sweep over a default-sized table fed
// 100,000 flows of the mix, of which the "flows" still open are none due, the common
// case between expiries.
func BenchmarkSweep(b *testing.B) {
	c := filledCache(b)
	buckets := c.Config().Capacity / Ways
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.sweepSlice(0, buckets, t0+sec, false)
	}
	b.StopTimer()
	b.ReportMetric(float64(c.Stats().Active), "flows")
}

// BenchmarkSetTimeouts measures giving new timeouts to a default-sized table fed
// 100,000 flows of the mix, each of the "flows" still open taking a new deadline.
func BenchmarkSetTimeouts(b *testing.B) {
	c := filledCache(b)
	inactive := [2]time.Duration{20 * time.Second, 40 * time.Second}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.SetTimeouts(0, inactive[i%2], 0); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(c.Stats().Active), "flows")
}

// BenchmarkUpdateBatch accounts the packets of BenchmarkUpdate 256 at a time, as the
// engine's pipeline hands them over, with Update on each packet and with UpdateBatch,
// so that one run shows what looking up a group at once gains (ns/op is ns per
// packet).
func BenchmarkUpdateBatch(b *testing.B) {
	const group = 256
	packets := mixPackets(1<<20, 100_000)
	span := packets[len(packets)-1].Timestamp - packets[0].Timestamp + 1000
	for _, batched := range []bool{false, true} {
		name := "update"
		if batched {
			name = "batch"
		}
		b.Run(name, func(b *testing.B) {
			c, err := New(Config{}, func(batch []flow.Record) []flow.Record {
				return batch[:0]
			})
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]flow.Packet, group)
			var shift int64
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += group {
				j := done & (len(packets) - 1)
				if j == 0 && done > 0 {
					shift += span
				}
				copy(buf, packets[j:j+group])
				for i := range buf {
					buf[i].Timestamp += shift
				}
				if batched {
					c.UpdateBatch(buf)
					continue
				}
				for i := range buf {
					c.Update(&buf[i])
				}
			}
		})
	}
}
