// Package gen generates realistic, seeded and deterministic Ethernet traces of IP
// traffic, together with the ground truth a flow probe should find in them.
//
// A trace holds a chosen number of packets spread over a chosen number of biflows:
// TCP connections with handshake, data both ways and a FIN or RST teardown, UDP
// exchanges, and ICMP echo sessions, in IPv4 and IPv6. Flow sizes follow a Zipf law,
// so a few elephants carry much of the traffic while most flows are a handful of
// packets, and the flows are interleaved in time as on a busy link.
//
// Every flow has its own 5-tuple, so a probe that keys flows by 5-tuple and never
// times a flow out finds exactly Truth.Total.Flows biflows. TCP flows closed by FIN
// end as on the wire, FIN, FIN, ACK: a probe that ends a flow at the first FIN
// without waiting for the close to finish sees the last ACK as a flow of its own.
package gen

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Config says what trace to generate. The zero value of an optional field selects
// its default.
type Config struct {
	// Packets is the number of packets in the trace.
	Packets int
	// Flows is the number of biflows. A TCP flow needs at least six packets, an ICMP
	// or UDP flow one, so Packets must be at least about 4.5 times Flows.
	Flows int
	// Seed selects the trace; the same Config always gives the same bytes.
	Seed uint64
	// IPv6 is the fraction of flows carried over IPv6, from 0 to 1.
	IPv6 float64
	// Rate is the packet rate in packets per second that spaces the timestamps;
	// default 1,000,000. Timestamps have microsecond resolution, so above 1 Mpps
	// neighbouring packets can share a timestamp.
	Rate float64
	// Start is the time of the first packet; default 2026-01-01 00:00:00 UTC.
	Start time.Time
	// Concurrency is roughly how many flows are active at any moment; default a tenth
	// of Flows. It sets how far apart in time a flow's packets are.
	Concurrency int
	// ZipfExponent shapes the flow sizes: the flow of rank r gets a share of the
	// packets proportional to 1/r^ZipfExponent; default 1.
	ZipfExponent float64
}

// The protocol mix by flow count, as on a typical enterprise or ISP link.
const (
	shareUDP  = 0.24
	shareICMP = 0.06
)

// maxFlows bounds Flows so that client addresses and ports stay unique.
const maxFlows = 50_000_000

// withDefaults returns c with every unset optional field filled in, or an error
// naming the first field that is out of range.
func (c Config) withDefaults() (Config, error) {
	if c.Rate == 0 {
		c.Rate = 1_000_000
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Concurrency == 0 {
		c.Concurrency = max(1, c.Flows/10)
	}
	if c.ZipfExponent == 0 {
		c.ZipfExponent = 1
	}

	switch {
	case c.Flows < 1 || c.Flows > maxFlows:
		return c, fmt.Errorf("flows %d: must be between 1 and %d", c.Flows, maxFlows)
	case c.Packets < 1:
		return c, fmt.Errorf("packets %d: must be positive", c.Packets)
	case !(c.IPv6 >= 0 && c.IPv6 <= 1):
		return c, fmt.Errorf("ipv6 fraction %v: must be between 0 and 1", c.IPv6)
	case !(c.Rate > 0) || math.IsInf(c.Rate, 0):
		return c, fmt.Errorf("rate %v: must be a positive number of packets per second", c.Rate)
	case c.Concurrency < 1:
		return c, fmt.Errorf("concurrency %d: must be positive", c.Concurrency)
	case !(c.ZipfExponent > 0 && c.ZipfExponent <= 10):
		return c, fmt.Errorf("zipf exponent %v: must be in (0, 10]", c.ZipfExponent)
	}
	return c, nil
}

// ErrTooFewPackets is returned when Packets cannot cover the minimum size of every flow.
var ErrTooFewPackets = errors.New("too few packets for the flows")
