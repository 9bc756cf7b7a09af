package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// kind is the protocol family of a flow.
type kind uint8

const (
	kindTCP kind = iota
	kindUDP
	kindICMP
)

// Flow styles: how a flow of a given kind behaves.
const (
	styleFin        uint8 = iota // TCP closed by FIN, FIN, ACK
	styleRst                     // TCP aborted by RST
	styleOneWay                  // UDP from the client only, as syslog or a stream
	styleReqResp                 // UDP query and answer, as DNS or NTP
	styleBulk                    // UDP mostly from the server, as QUIC downloads
	styleAnswered                // ICMP echo requests, each with its reply
	styleUnanswered              // ICMP echo requests nobody answers
)

// Minimum packets per flow: a TCP flow has its handshake and room for a FIN, FIN,
// ACK teardown; an ICMP or UDP flow can be a single packet.
const (
	minTCP   = 6
	minOther = 1
)

// Address plan limits: clients and servers are numbered from 1 inside a /16.
const (
	maxHosts        = 65000
	clientPortBase  = 49152
	clientPortCount = 16384
)

// flowState is one biflow: its plan and the protocol state of its sides. Side 0 is
// the client, which sends the first packet; side 1 the server.
type flowState struct {
	start  float64 // virtual time of the first packet, in packet slots
	gap    float64 // mean virtual time between the flow's packets
	lastTs int64   // time of the last packet sent, Unix nanoseconds

	size, sent int32

	kind    kind
	style   uint8
	v6      bool
	closer  uint8 // side that starts the TCP teardown
	sidesOn uint8 // bit per side that has sent a packet

	client, server uint16 // host numbers inside the client and server ranges
	cport, sport   uint16

	flowLabel uint32
	seq       [2]uint32 // next TCP sequence number of each side
	ipID      [2]uint16
	ttl       [2]uint8

	icmpID      uint16
	icmpPayload uint16
}

// plan draws every flow of cfg: kind, family, size, style, addresses and the
// virtual time of its first packet.
func plan(cfg Config, rng *rand.Rand) ([]flowState, error) {
	nFlows := cfg.Flows
	kinds := drawKinds(nFlows, rng)
	v6 := drawFraction(nFlows, cfg.IPv6, rng)

	need := 0
	for _, k := range kinds {
		need += minSize(k)
	}
	if cfg.Packets < need {
		return nil, fmt.Errorf("%w: %d flows need at least %d packets, got %d",
			ErrTooFewPackets, nFlows, need, cfg.Packets)
	}
	extra := zipfShares(cfg.Packets-need, nFlows, cfg.ZipfExponent)
	ranks := rng.Perm(nFlows)

	nClients := min(maxHosts, (nFlows+7)/8)
	slots := (nFlows + nClients - 1) / nClients
	nServers := max(1000, slots)
	if nServers > maxHosts || slots > clientPortCount {
		return nil, fmt.Errorf("flows %d: too many for the address plan", nFlows)
	}

	flows := make([]flowState, nFlows)
	total := float64(cfg.Packets)
	for i := range flows {
		f := &flows[i]
		f.kind = kinds[i]
		f.v6 = v6[i]
		f.size = int32(minSize(f.kind) + extra[ranks[i]])

		span := min(float64(f.size)*float64(cfg.Concurrency), 0.95*total)
		f.gap = span / float64(f.size)
		f.start = rng.Float64() * (total - span)

		client, slot := i%nClients, i/nClients
		f.client = uint16(client + 1)
		f.cport = uint16(clientPortBase + (slot+client*37)%clientPortCount)
		// ICMP has no ports, so its flows need distinct host pairs: the server follows
		// the slot, which differs between the flows of one client.
		f.server = uint16((client*7+slot)%nServers + 1)
		if f.kind != kindICMP {
			// A few popular servers get most of the connections.
			u := rng.Float64()
			f.server = uint16(int(float64(nServers)*u*u*u) + 1)
		}
		f.drawStyle(rng)
	}
	return flows, nil
}

func minSize(k kind) int {
	if k == kindTCP {
		return minTCP
	}
	return minOther
}

// drawKinds returns n flow kinds in the fixed mix, shuffled.
func drawKinds(n int, rng *rand.Rand) []kind {
	kinds := make([]kind, n)
	nUDP := int(math.Round(float64(n) * shareUDP))
	nICMP := int(math.Round(float64(n) * shareICMP))
	for i := range kinds {
		switch {
		case i < nUDP:
			kinds[i] = kindUDP
		case i < nUDP+nICMP:
			kinds[i] = kindICMP
		}
	}
	rng.Shuffle(n, func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	return kinds
}

// drawFraction returns n booleans of which round(n*frac) are true, shuffled.
func drawFraction(n int, frac float64, rng *rand.Rand) []bool {
	set := make([]bool, n)
	count := int(math.Round(float64(n) * frac))
	for i := range count {
		set[i] = true
	}
	rng.Shuffle(n, func(i, j int) { set[i], set[j] = set[j], set[i] })
	return set
}

// zipfShares splits total into n integer shares, share r proportional to
// 1/(r+1)^s, summing to total exactly.
func zipfShares(total, n int, s float64) []int {
	weights := make([]float64, n)
	sum := 0.0
	for r := range weights {
		weights[r] = math.Pow(float64(r+1), -s)
		sum += weights[r]
	}
	shares := make([]int, n)
	given := 0
	for r, w := range weights {
		shares[r] = int(float64(total) * w / sum)
		given += shares[r]
	}
	// Rounding leaves at most n packets over; the largest flows take them one each.
	// Float error can also overshoot by a packet, which the largest flow gives back.
	for r := 0; given < total; r = (r + 1) % n {
		shares[r]++
		given++
	}
	shares[0] -= given - total
	return shares
}

// drawStyle picks how the flow behaves and the constants of its sides.
func (f *flowState) drawStyle(rng *rand.Rand) {
	f.flowLabel = rng.Uint32() & 0xfffff
	f.seq = [2]uint32{rng.Uint32(), rng.Uint32()}
	f.ipID = [2]uint16{uint16(rng.Uint32()), uint16(rng.Uint32())}
	f.ttl = [2]uint8{[2]uint8{64, 128}[rng.IntN(2)] - uint8(rng.IntN(3)), 64 - uint8(rng.IntN(16))}
	f.closer = uint8(rng.IntN(2))

	switch f.kind {
	case kindTCP:
		f.style = styleRst
		if rng.Float64() < 0.85 {
			f.style = styleFin
		}
		f.sport = pick(rng, tcpPorts)
	case kindUDP:
		u := rng.Float64()
		switch {
		case u < 0.25:
			f.style, f.sport = styleOneWay, pick(rng, []uint16{514, 2055, 5004})
		case u < 0.6:
			f.style, f.sport = styleReqResp, pick(rng, []uint16{53, 53, 53, 123, 161})
		default:
			f.style, f.sport = styleBulk, pick(rng, []uint16{443, 443, 3478, 5353})
		}
	case kindICMP:
		f.style = styleAnswered
		if rng.Float64() < 0.1 {
			f.style = styleUnanswered
		}
		f.icmpID = uint16(rng.Uint32())
		f.icmpPayload = [2]uint16{56, 32}[rng.IntN(2)]
	}
}

// tcpPorts lists server ports, repeated to weight them as on a typical link.
var tcpPorts = []uint16{443, 443, 443, 443, 443, 443, 80, 80, 22, 25, 993, 8080, 3306}

func pick(rng *rand.Rand, from []uint16) uint16 { return from[rng.IntN(len(from))] }
