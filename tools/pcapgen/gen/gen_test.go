package gen

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

var smallTrace = Config{Packets: 40_000, Flows: 2_000, Seed: 7, IPv6: 0.1}

func TestSameSeedSameTrace(t *testing.T) {
	a, _ := generate(t, smallTrace)
	b, _ := generate(t, smallTrace)
	if !bytes.Equal(a, b) {
		t.Fatalf("two traces of seed %d differ", smallTrace.Seed)
	}

	other := smallTrace
	other.Seed++
	c, _ := generate(t, other)
	if sha256.Sum256(a) == sha256.Sum256(c) {
		t.Fatalf("seeds %d and %d gave the same trace", smallTrace.Seed, other.Seed)
	}
}

func TestTruthMatchesFile(t *testing.T) {
	cases := []Config{
		smallTrace,
		{Packets: 5_000, Flows: 1_000, Seed: 2, IPv6: 0.5, Rate: 2_000},
		{Packets: 20_000, Flows: 300, Seed: 3, IPv6: 1, ZipfExponent: 1.5, Concurrency: 5},
		{Packets: minTCP, Flows: 1, Seed: 4},
	}
	for _, cfg := range cases {
		data, truth := generate(t, cfg)
		got := decodeTrace(t, data).truth
		if got != truth {
			t.Errorf("%+v:\nthe file holds %+v\nthe truth says %+v", cfg, got, truth)
		}
		if truth.Total.Packets != int64(cfg.Packets) || truth.Total.Flows != int64(cfg.Flows) {
			t.Errorf("%+v: truth has %d packets and %d flows", cfg,
				truth.Total.Packets, truth.Total.Flows)
		}
	}
}

func TestTimestampsFollowRate(t *testing.T) {
	cfg := smallTrace
	cfg.Rate = 10_000
	_, truth := generate(t, cfg)
	wantNs := float64(cfg.Packets-1) / cfg.Rate * 1e9
	if got := float64(truth.LastNs - truth.FirstNs); math.Abs(got-wantNs) > 1e3 {
		t.Errorf("trace spans %.0f ns, want %.0f ns at %v pps", got, wantNs, cfg.Rate)
	}
}

func TestProtocolMix(t *testing.T) {
	cases := []struct {
		seed uint64
		ipv6 float64
	}{{1, 0.1}, {2, 0}, {3, 0.3}}
	for _, c := range cases {
		cfg := Config{Packets: 30_000, Flows: 3_000, Seed: c.seed, IPv6: c.ipv6}
		data, _ := generate(t, cfg)
		got := decodeTrace(t, data).truth
		shares := []struct {
			name      string
			flows     int64
			want, tol float64
		}{
			{"tcp", got.TCP.Flows, 0.70, 0.01},
			{"udp", got.UDP.Flows, 0.24, 0.01},
			{"icmp", got.ICMP.Flows, 0.06, 0.01},
			{"ipv6", got.IPv6.Flows, c.ipv6, 0.01},
		}
		for _, s := range shares {
			share := float64(s.flows) / float64(got.Total.Flows)
			if math.Abs(share-s.want) > s.tol {
				t.Errorf("seed %d: %s has %.3f of the flows, want %.2f±%.2f",
					c.seed, s.name, share, s.want, s.tol)
			}
		}
	}
}

func TestTCPFlowsOpenAndClose(t *testing.T) {
	data, _ := generate(t, smallTrace)
	d := decodeTrace(t, data)
	for _, key := range d.order {
		f := d.flows[key]
		if f.kind != kindTCP {
			continue
		}
		p := f.packets
		if len(p) < minTCP {
			t.Fatalf("%v: %d packets, shorter than a handshake and a teardown", key, len(p))
		}
		handshake := []seenPacket{
			{fromFirst: true, tcpFlags: tcpSyn},
			{fromFirst: false, tcpFlags: tcpSyn | tcpAck},
			{fromFirst: true, tcpFlags: tcpAck},
		}
		if !slices.Equal(p[:3], handshake) {
			t.Fatalf("%v: opens with %+v, want SYN, SYN-ACK, ACK", key, p[:3])
		}
		for i, q := range p[3:] {
			if q.tcpFlags&(tcpSyn|tcpFin|tcpRst) != 0 && i+3 < len(p)-3 {
				t.Fatalf("%v: packet %d has flags %#x before the teardown", key, i+3, q.tcpFlags)
			}
		}

		last := p[len(p)-1]
		if last.tcpFlags&tcpRst != 0 {
			continue
		}
		fin1, fin2 := p[len(p)-3], p[len(p)-2]
		closed := fin1.tcpFlags == tcpFin|tcpAck && fin2.tcpFlags == tcpFin|tcpAck &&
			fin1.fromFirst != fin2.fromFirst && last.tcpFlags == tcpAck &&
			last.fromFirst == fin1.fromFirst && last.payload == 0
		if !closed {
			t.Fatalf("%v: ends with %+v, want an RST or FIN, FIN, ACK", key, p[len(p)-3:])
		}
	}
}

func TestFlowSizesAreHeavyTailed(t *testing.T) {
	data, truth := generate(t, smallTrace)
	d := decodeTrace(t, data)
	sizes := make([]int, 0, len(d.flows))
	for _, f := range d.flows {
		sizes = append(sizes, len(f.packets))
	}
	slices.Sort(sizes)
	slices.Reverse(sizes)

	top := 0
	for _, n := range sizes[:len(sizes)/100] {
		top += n
	}
	// Under a Zipf law of exponent 1, the top 1 % of 2,000 flows hold about 40 % of
	// the packets above the minimum sizes; a uniform split would give them 1 %.
	if share := float64(top) / float64(truth.Total.Packets); share < 0.25 {
		t.Errorf("the largest 1 %% of flows carry %.2f of the packets, want over 0.25", share)
	}
	if median := sizes[len(sizes)/2]; median > 20 {
		t.Errorf("median flow has %d packets, want a handful", median)
	}
}

func TestFlowsInterleave(t *testing.T) {
	data, _ := generate(t, smallTrace)
	d := decodeTrace(t, data)

	// Walk the trace in order and count the flows between their first and last packet.
	active, peak := 0, 0
	remaining := map[biKey]int{}
	for _, key := range d.packets {
		n, seen := remaining[key]
		if !seen {
			n = len(d.flows[key].packets)
			active++
		}
		n--
		remaining[key] = n
		if n == 0 {
			active--
		}
		peak = max(peak, active)
	}
	if want := smallTrace.Flows / 20; peak < want {
		t.Errorf("at most %d flows were open at once, want at least %d", peak, want)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Packets: 10, Flows: 0}, "flows 0"},
		{Config{Packets: 0, Flows: 1}, "packets 0"},
		{Config{Packets: 10, Flows: 1, IPv6: 1.5}, "ipv6 fraction 1.5"},
		{Config{Packets: 10, Flows: 1, IPv6: math.NaN()}, "ipv6 fraction NaN"},
		{Config{Packets: 10, Flows: 1, Rate: -1}, "rate -1"},
		{Config{Packets: 10, Flows: 1, Concurrency: -3}, "concurrency -3"},
		{Config{Packets: 10, Flows: 1, ZipfExponent: -1}, "zipf exponent -1"},
		{Config{Packets: 100, Flows: 100}, "flows need at least"},
	}
	for _, c := range cases {
		_, err := New(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
	if _, err := New(Config{Packets: 100, Flows: 100}); !errors.Is(err, ErrTooFewPackets) {
		t.Errorf("too few packets: got %v, want ErrTooFewPackets", err)
	}
}

func TestNextAllocatesNothing(t *testing.T) {
	g, err := New(Config{Packets: 200_000, Flows: 1_000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(10_000, func() {
		if _, _, ok := g.Next(); !ok {
			t.Fatal("trace ended early")
		}
	})
	if allocs != 0 {
		t.Errorf("Next allocates %.1f times per packet, want 0", allocs)
	}
}
