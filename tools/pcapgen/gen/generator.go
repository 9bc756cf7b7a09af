package gen

import "math/rand/v2"

// Generator produces the packets of one trace in time order. It is not safe for
// concurrent use.
//
// Each flow has a start and a mean gap between its packets in virtual time,
// counted in packet slots. The generator always sends the pending packet with the
// earliest virtual time, and stamps it from its position in the trace and Rate: the
// flows interleave as on a shared link while the packet rate stays exact.
type Generator struct {
	cfg   Config
	rng   *rand.Rand
	flows []flowState
	// pending is a binary min-heap of the flows that have packets left, ordered by
	// the virtual time of their next packet. It holds the times itself so that
	// sifting stays within one array.
	pending []pendingFlow
	block   *payloadBlock
	buf     [MaxFrame]byte
	emitted int64
	truth   Truth
}

// New plans the trace of cfg. It returns an error naming the field of cfg that is
// out of range, or wrapping ErrTooFewPackets.
func New(cfg Config) (*Generator, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x666c6f7770726f62))
	flows, err := plan(cfg, rng)
	if err != nil {
		return nil, err
	}

	g := &Generator{cfg: cfg, rng: rng, flows: flows, block: newPayloadBlock(rng)}
	g.pending = make([]pendingFlow, len(flows))
	for i := range g.pending {
		g.pending[i] = pendingFlow{next: flows[i].start, flow: int32(i)}
	}
	for i := len(g.pending)/2 - 1; i >= 0; i-- {
		g.down(i)
	}
	return g, nil
}

// Config returns the configuration with its defaults filled in.
func (g *Generator) Config() Config { return g.cfg }

// Truth returns the ground truth of the packets produced so far; after Next has
// returned false it covers the whole trace.
func (g *Generator) Truth() Truth { return g.truth }

// Next returns the next frame and its time in Unix nanoseconds, a multiple of a
// microsecond. The frame stays valid until the following call. ok is false once
// the trace is complete.
func (g *Generator) Next() (frame []byte, ts int64, ok bool) {
	if len(g.pending) == 0 {
		return nil, 0, false
	}
	f := &g.flows[g.pending[0].flow]

	ts = g.cfg.Start.UnixNano() + int64(float64(g.emitted)*1e9/g.cfg.Rate)
	ts -= ts % 1000
	s := f.nextSegment(g.rng)
	off := 2 * g.rng.IntN((payloadBlockLen-MaxFrame)/2)
	n, ipBytes := writeFrame(&g.buf, f, s, g.block, off)
	g.truth.count(f, s.side, ts, n, ipBytes)
	g.emitted++

	f.sent++
	if f.sent == f.size {
		last := len(g.pending) - 1
		g.pending[0] = g.pending[last]
		g.pending = g.pending[:last]
	} else {
		g.pending[0].next += f.gap * g.rng.ExpFloat64()
	}
	g.down(0)
	return g.buf[:n], ts, true
}

// pendingFlow is a flow in the heap and the virtual time of its next packet.
type pendingFlow struct {
	next float64
	flow int32
}

// down restores the heap order below position i.
func (g *Generator) down(i int) {
	h := g.pending
	for {
		least := i
		for _, c := range [2]int{2*i + 1, 2*i + 2} {
			if c < len(h) && h[c].next < h[least].next {
				least = c
			}
		}
		if least == i {
			return
		}
		h[i], h[least] = h[least], h[i]
		i = least
	}
}
