package flowcache

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// FuzzCache drives a small cache with packets, partial flows, ticks and changes of
// timeouts decoded from the fuzz input, with times that jump forwards and backwards,
// and checks that no flow stays a sweep period past its deadline, that every packet
// and byte comes out exactly once and that the stats agree with the records.
func FuzzCache(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, uint8(0))
	f.Add([]byte("\x01\x02\x00\x10\xff\x01\x02\x00\x10\x00\x02\x01\x00\x10\x04"), uint8(3))
	f.Add(make([]byte, 96), uint8(1))
	f.Add([]byte("\x01\x02\x60\x10\x03\x41\x09\x0a\x00\xf0\x20\x00\x02\x01\x40\x90\x04\x00"), uint8(5))
	f.Fuzz(checkCacheInput)
}

// checkCacheInput is FuzzCache's check of one input.
func checkCacheInput(t *testing.T, data []byte, mode uint8) {
	cfg := Config{Capacity: Ways * 2, BatchSize: 1 + int(mode>>4),
		ActiveTimeout: 5 * time.Second, InactiveTimeout: 2 * time.Second,
		FINWait: time.Duration(mode&1) * time.Second, Split: mode&2 != 0,
		ExternalClock: mode&4 != 0}
	c, col := newCache(t, cfg)
	var packets, bytes uint64
	at := t0
	// Each 6-byte chunk: src, dst, ports, protocol and flags, time step, size, kind.
	for len(data) >= 6 {
		chunk := data[:6]
		data = data[6:]
		var k flow.Key
		k.IPVersion, k.Protocol = 4, []uint8{tcp, udp, icmp}[chunk[2]%3]
		k.SrcAddr[15], k.DstAddr[15] = chunk[0]&7, chunk[0]>>3&7
		k.SrcPort, k.DstPort = uint16(chunk[1]&3), uint16(chunk[1]>>2&3)
		k.VLAN = uint16(chunk[1] >> 7)
		if chunk[5]&0x40 != 0 {
			k.TunnelType, k.TunnelID = flow.TunnelVXLAN, uint32(chunk[5]&1)
		}
		at += (int64(int8(chunk[3])) * int64(time.Second)) / 16
		size := uint64(binary.LittleEndian.Uint16(chunk[4:]) & 0x7fff)
		switch {
		case chunk[5]&0x80 != 0:
			agg := flow.Record{Key: k, Packets: 2, PacketsRev: 1, Bytes: size,
				BytesRev: 1, TimeFirst: at - int64(time.Second), TimeLast: at,
				TCPFlags: chunk[2] & 0x1f}
			c.Merge(&agg)
			packets += 3
			bytes += size + 1
		case chunk[2]&0x60 == 0x60:
			err := c.SetTimeouts(time.Duration(1+chunk[4]%8)*time.Second,
				time.Duration(1+chunk[5]%4)*time.Second, 0)
			if err != nil {
				t.Fatal(err)
			}
		case chunk[2]&0x40 != 0:
			c.Advance(at)
		default:
			p := flow.Packet{Key: k, Timestamp: at, IPBytes: uint32(size),
				TCPFlags: chunk[2] & 0x1f}
			c.Update(&p)
			packets++
			bytes += size
		}
		if c.Stats().Active > c.Config().Capacity {
			t.Fatalf("%d flows in a cache of %d", c.Stats().Active, c.Config().Capacity)
		}
		checkSweepBound(t, c)
	}
	c.Flush()
	checkFlushed(t, c, col.records, packets, bytes)
}
