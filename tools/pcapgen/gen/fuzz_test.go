package gen

import (
	"errors"
	"testing"
)

// FuzzNew checks that any configuration either is refused with an error or yields
// exactly the packets and flows it asked for, in frames of legal size.
func FuzzNew(f *testing.F) {
	f.Add(uint16(100), uint16(10), uint64(1), 0.1, 1e6, int16(0), 1.0)
	f.Add(uint16(6), uint16(1), uint64(2), 1.0, 1.0, int16(1), 0.5)
	f.Add(uint16(3000), uint16(600), uint64(3), 0.0, 5e6, int16(-1), 3.0)
	f.Fuzz(func(t *testing.T, packets, flows uint16, seed uint64, ipv6, rate float64,
		concurrency int16, zipf float64) {
		cfg := Config{Packets: int(packets), Flows: int(flows), Seed: seed, IPv6: ipv6,
			Rate: rate, Concurrency: int(concurrency), ZipfExponent: zipf}
		g, err := New(cfg)
		if err != nil {
			if errors.Is(err, ErrTooFewPackets) && packets >= 6*flows && flows > 0 {
				t.Fatalf("%+v: refused although every flow fits: %v", cfg, err)
			}
			return
		}
		lastTs := int64(-1 << 63)
		for {
			frame, ts, ok := g.Next()
			if !ok {
				break
			}
			if len(frame) < MinFrame || len(frame) > MaxFrame {
				t.Fatalf("%+v: frame of %d bytes", cfg, len(frame))
			}
			if ts < lastTs {
				t.Fatalf("%+v: time went back from %d to %d", cfg, lastTs, ts)
			}
			lastTs = ts
		}
		truth := g.Truth()
		if truth.Total.Packets != int64(cfg.Packets) || truth.Total.Flows != int64(cfg.Flows) {
			t.Fatalf("%+v: got %d packets in %d flows", cfg, truth.Total.Packets,
				truth.Total.Flows)
		}
	})
}
