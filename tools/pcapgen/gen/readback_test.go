package gen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// The tests read traces back with gopacket's decoders, which share no code with the
// generator, and recount what the generator claims.

type endpoint struct {
	addr netip.Addr
	port uint16
}

func (e endpoint) less(o endpoint) bool {
	if c := e.addr.Compare(o.addr); c != 0 {
		return c < 0
	}
	return e.port < o.port
}

// biKey is a 5-tuple with its endpoints in canonical order, so both directions of a
// flow share it. ICMP flows have ports 0, as flow probes key them.
type biKey struct {
	proto uint8
	a, b  endpoint
}

func (k biKey) String() string {
	return fmt.Sprintf("proto %d %v <-> %v", k.proto,
		netip.AddrPortFrom(k.a.addr, k.a.port), netip.AddrPortFrom(k.b.addr, k.b.port))
}

// seenPacket is one packet of a flow as decoded from the file.
type seenPacket struct {
	fromFirst bool // sent by the endpoint that sent the flow's first packet
	tcpFlags  uint8
	payload   int
}

type seenFlow struct {
	kind    kind
	v6      bool
	first   endpoint
	packets []seenPacket
	lastTs  int64
}

// decodedTrace is what the file holds according to gopacket.
type decodedTrace struct {
	truth   Truth
	flows   map[biKey]*seenFlow
	order   []biKey // flows in order of their first packet
	packets []biKey // the flow of every packet, in file order
}

func decodeTrace(t testing.TB, data []byte) decodedTrace {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read pcap header: %v", err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		t.Fatalf("link type %v, want Ethernet", r.LinkType())
	}

	var (
		eth   layers.Ethernet
		ip4   layers.IPv4
		ip6   layers.IPv6
		tcp   layers.TCP
		udp   layers.UDP
		icmp4 layers.ICMPv4
		icmp6 layers.ICMPv6
		pay   gopacket.Payload
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet,
		&eth, &ip4, &ip6, &tcp, &udp, &icmp4, &icmp6, &pay)
	parser.IgnoreUnsupported = true
	var decoded []gopacket.LayerType

	d := decodedTrace{flows: map[biKey]*seenFlow{}}
	lastTs := int64(-1)
	for n := 1; ; n++ {
		frame, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("packet %d: %v", n, err)
		}
		if len(frame) < MinFrame || len(frame) > MaxFrame {
			t.Fatalf("packet %d: frame of %d bytes, want %d to %d", n, len(frame), MinFrame, MaxFrame)
		}
		ts := ci.Timestamp.UnixNano()
		if ts < lastTs {
			t.Fatalf("packet %d: time %d before the previous packet's %d", n, ts, lastTs)
		}
		lastTs = ts
		if err := parser.DecodeLayers(frame, &decoded); err != nil {
			t.Fatalf("packet %d: decode: %v", n, err)
		}

		var src, dst endpoint
		var ipBytes int
		var k kind
		var proto uint8
		pkt := seenPacket{}
		for _, lt := range decoded {
			switch lt {
			case layers.LayerTypeIPv4:
				src.addr, _ = netip.AddrFromSlice(ip4.SrcIP.To4())
				dst.addr, _ = netip.AddrFromSlice(ip4.DstIP.To4())
				ipBytes, proto = int(ip4.Length), uint8(ip4.Protocol)
			case layers.LayerTypeIPv6:
				src.addr, _ = netip.AddrFromSlice(ip6.SrcIP)
				dst.addr, _ = netip.AddrFromSlice(ip6.DstIP)
				ipBytes, proto = ipv6Len+int(ip6.Length), uint8(ip6.NextHeader)
			case layers.LayerTypeTCP:
				k, src.port, dst.port = kindTCP, uint16(tcp.SrcPort), uint16(tcp.DstPort)
				pkt.tcpFlags = tcp.Contents[13]
				pkt.payload = len(tcp.Payload)
			case layers.LayerTypeUDP:
				k, src.port, dst.port = kindUDP, uint16(udp.SrcPort), uint16(udp.DstPort)
			case layers.LayerTypeICMPv4, layers.LayerTypeICMPv6:
				k = kindICMP
			}
		}
		if !src.addr.IsValid() || proto == 0 {
			t.Fatalf("packet %d: no IP layer decoded (%v)", n, decoded)
		}

		key := biKey{proto: proto, a: src, b: dst}
		if dst.less(src) {
			key.a, key.b = dst, src
		}
		f := d.flows[key]
		newFlow := f == nil
		if newFlow {
			f = &seenFlow{kind: k, v6: src.addr.Is6(), first: src}
			d.flows[key] = f
			d.order = append(d.order, key)
		}
		pkt.fromFirst = src == f.first
		newSide := true
		for _, p := range f.packets {
			if p.fromFirst == pkt.fromFirst {
				newSide = false
				break
			}
		}
		if !newFlow {
			d.truth.MaxFlowGapNs = max(d.truth.MaxFlowGapNs, ts-f.lastTs)
		}
		f.lastTs = ts
		f.packets = append(f.packets, pkt)
		d.packets = append(d.packets, key)

		d.truth.Total.add(newFlow, newSide, ipBytes)
		[3]*Counts{&d.truth.TCP, &d.truth.UDP, &d.truth.ICMP}[k].add(newFlow, newSide, ipBytes)
		if f.v6 {
			d.truth.IPv6.add(newFlow, newSide, ipBytes)
		} else {
			d.truth.IPv4.add(newFlow, newSide, ipBytes)
		}
		d.truth.FrameBytes += int64(len(frame))
		if n == 1 {
			d.truth.FirstNs = ts
		}
		d.truth.LastNs = ts
	}

	for _, f := range d.flows {
		d.truth.MaxFlowPackets = max(d.truth.MaxFlowPackets, int64(len(f.packets)))
		if f.kind != kindTCP {
			continue
		}
		if f.packets[len(f.packets)-1].tcpFlags&tcpRst != 0 {
			d.truth.TCPRst++
		} else {
			d.truth.TCPFin++
		}
	}
	return d
}

// generate writes the trace of cfg into memory.
func generate(t testing.TB, cfg Config) ([]byte, Truth) {
	t.Helper()
	var buf bytes.Buffer
	truth, err := Write(&buf, cfg)
	if err != nil {
		t.Fatalf("generate %+v: %v", cfg, err)
	}
	return buf.Bytes(), truth
}
