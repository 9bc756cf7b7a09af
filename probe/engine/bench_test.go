package engine

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/flowcache"
	"github.com/flowprobe/flowprobe/probe/packet"
)

// mixFrames builds n Ethernet frames of nFlows flows with Zipf-distributed sizes:
// 70 % TCP, 24 % UDP, 6 % ICMP, one flow in ten over IPv6, directions at random.
func mixFrames(n, nFlows int) [][]byte {
	rng := rand.New(rand.NewPCG(3, 5))
	type flowDesc struct {
		v6           bool
		proto        uint8
		src, dst     uint32
		sport, dport uint16
	}
	flows := make([]flowDesc, nFlows)
	for i := range flows {
		f := &flows[i]
		f.v6 = rng.IntN(10) == 0
		switch r := rng.IntN(100); {
		case r < 70:
			f.proto = 6
		case r < 94:
			f.proto = 17
		default:
			f.proto = 1
			if f.v6 {
				f.proto = 58
			}
		}
		f.src, f.dst = 0xc6120000|uint32(i), 0xc6130000|rng.Uint32N(1<<16)
		f.sport, f.dport = uint16(1024+rng.IntN(60000)), []uint16{443, 80, 53}[rng.IntN(3)]
	}
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(nFlows-1))
	frames := make([][]byte, n)
	for i := range frames {
		f := flows[zipf.Uint64()]
		if rng.IntN(2) == 0 {
			f.src, f.dst, f.sport, f.dport = f.dst, f.src, f.dport, f.sport
		}
		payload := 20 + rng.IntN(200)
		frames[i] = buildFrame(f.v6, f.proto, f.src, f.dst, f.sport, f.dport, payload)
	}
	return frames
}

func buildFrame(v6 bool, proto uint8, src, dst uint32, sport, dport uint16, payload int) []byte {
	l4 := 20
	if proto != 6 {
		l4 = 8
	}
	ipLen := 20
	if v6 {
		ipLen = 40
	}
	b := make([]byte, 14+ipLen+l4+payload)
	ip := b[14:]
	if v6 {
		binary.BigEndian.PutUint16(b[12:], 0x86dd)
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(l4+payload))
		ip[6], ip[7] = proto, 64
		ip[8], ip[24] = 0x20, 0x20
		binary.BigEndian.PutUint32(ip[20:], src)
		binary.BigEndian.PutUint32(ip[36:], dst)
	} else {
		binary.BigEndian.PutUint16(b[12:], 0x0800)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(ipLen+l4+payload))
		ip[8], ip[9] = 64, proto
		binary.BigEndian.PutUint32(ip[12:], src)
		binary.BigEndian.PutUint32(ip[16:], dst)
	}
	t := ip[ipLen:]
	switch proto {
	case 1, 58:
		t[0] = 8
	default:
		binary.BigEndian.PutUint16(t, sport)
		binary.BigEndian.PutUint16(t[2:], dport)
		if proto == 6 {
			t[12], t[13] = 0x50, 0x10
		}
	}
	return b
}

// BenchmarkWorker measures one frame through a worker's parser and flow cache on
// 1,000,000 frames of 100,000 flows (ns/op is ns per frame of wall time). The
// parse-only case runs in the same process, so the ratio of the two is the cache's
// share; the pipelined case runs the cache on a second goroutine.
func BenchmarkWorker(b *testing.B) {
	frames := mixFrames(1<<20, 100_000)
	cases := []struct {
		name      string
		withCache bool
		pipeline  bool
	}{{"parse", false, false}, {"parse+cache", true, false},
		{"parse+cache-pipelined", true, true}}
	for _, tc := range cases {
		withCache := tc.withCache
		b.Run(tc.name, func(b *testing.B) {
			fan := newFanout(nil, &Config{}, flowcache.DefaultBatchSize, 1)
			w := &worker{parser: packet.NewParser(packet.Options{}), fan: fan}
			w.cur = fan.get()
			c, err := flowcache.New(flowcache.Config{}, w.sink)
			if err != nil {
				b.Fatal(err)
			}
			w.cache = c
			if tc.pipeline {
				w.pipe = newPipeline(w)
				go w.pipe.run()
			}
			var f capture.Frame
			f.LinkType = capture.LinkEthernet
			var pkt flow.Packet
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f.Data = frames[i&(len(frames)-1)]
				f.Timestamp = t0 + int64(i)*1000
				if withCache {
					w.HandleFrame(&f)
				} else if w.parser.Parse(&f, &pkt) != packet.OK {
					b.Fatal("frame not parsed")
				}
			}
			w.drain()
			b.StopTimer()
			if withCache && w.cache.Stats().Packets != uint64(b.N) {
				b.Fatalf("%d of %d frames reached the cache", w.cache.Stats().Packets, b.N)
			}
		})
	}
}
