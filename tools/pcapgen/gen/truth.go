package gen

import (
	"encoding/json"
	"fmt"
	"os"
)

// Counts sums up part of a trace.
type Counts struct {
	// Flows counts biflows: packets that share a 5-tuple in either direction.
	Flows int64 `json:"flows"`
	// Uniflows counts flow directions that carry at least one packet, which is what a
	// probe that exports one record per direction would send.
	Uniflows int64 `json:"uniflows"`
	Packets  int64 `json:"packets"`
	// IPBytes sums the IP total length of the packets, IP header included.
	IPBytes int64 `json:"ip_bytes"`
}

func (c *Counts) add(newFlow, newSide bool, ipBytes int) {
	if newFlow {
		c.Flows++
	}
	if newSide {
		c.Uniflows++
	}
	c.Packets++
	c.IPBytes += int64(ipBytes)
}

// Truth is what a correct flow probe finds in a generated trace.
type Truth struct {
	Total Counts `json:"total"`
	TCP   Counts `json:"tcp"`
	UDP   Counts `json:"udp"`
	// ICMP holds both ICMP and ICMPv6 echo flows.
	ICMP Counts `json:"icmp"`
	IPv4 Counts `json:"ipv4"`
	IPv6 Counts `json:"ipv6"`

	// TCPFin and TCPRst count TCP flows closed by FIN and by RST.
	TCPFin int64 `json:"tcp_fin"`
	TCPRst int64 `json:"tcp_rst"`

	// FrameBytes sums the frame lengths, Ethernet header and padding included.
	FrameBytes int64 `json:"frame_bytes"`
	// FirstNs and LastNs are the times of the first and last packet, Unix nanoseconds.
	FirstNs int64 `json:"first_ns"`
	LastNs  int64 `json:"last_ns"`
	// MaxFlowGapNs is the longest time between two packets of one flow. A probe whose
	// inactive timeout is shorter splits some flows, and then exports more records.
	MaxFlowGapNs int64 `json:"max_flow_gap_ns"`
	// MaxFlowPackets is the size of the largest flow.
	MaxFlowPackets int64 `json:"max_flow_packets"`
}

// count adds one packet of f, sent at ts from side, to the truth.
func (t *Truth) count(f *flowState, side uint8, ts int64, frameLen, ipBytes int) {
	newFlow := f.sent == 0
	newSide := f.sidesOn&(1<<side) == 0
	f.sidesOn |= 1 << side

	t.Total.add(newFlow, newSide, ipBytes)
	[3]*Counts{&t.TCP, &t.UDP, &t.ICMP}[f.kind].add(newFlow, newSide, ipBytes)
	if f.v6 {
		t.IPv6.add(newFlow, newSide, ipBytes)
	} else {
		t.IPv4.add(newFlow, newSide, ipBytes)
	}

	if newFlow {
		switch {
		case f.kind == kindTCP && f.style == styleFin:
			t.TCPFin++
		case f.kind == kindTCP:
			t.TCPRst++
		}
		t.MaxFlowPackets = max(t.MaxFlowPackets, int64(f.size))
	} else {
		t.MaxFlowGapNs = max(t.MaxFlowGapNs, ts-f.lastTs)
	}
	f.lastTs = ts

	t.FrameBytes += int64(frameLen)
	if t.Total.Packets == 1 {
		t.FirstNs = ts
	}
	t.LastNs = ts
}

// WriteFile stores the truth as indented JSON at path, replacing the file.
func (t Truth) WriteFile(path string) error {
	data, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("encode ground truth: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write ground truth: %w", err)
	}
	return nil
}
