package packet

import (
	"net/netip"
	"testing"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// parseTrace parses every frame of a trace and returns the flow packets.
func parseTrace(t *testing.T, name string, opts Options) ([]flow.Packet, *Parser) {
	t.Helper()
	p := NewParser(opts)
	var out []flow.Packet
	for _, f := range readTrace(t, name) {
		var pkt flow.Packet
		if p.Parse(&f, &pkt) == OK {
			out = append(out, pkt)
		}
	}
	return out, p
}

// biflowKey folds both directions of a flow into one key.
func biflowKey(k flow.Key) flow.Key {
	r := k.Reverse()
	if string(r.SrcAddr[:]) < string(k.SrcAddr[:]) ||
		(r.SrcAddr == k.SrcAddr && r.SrcPort < k.SrcPort) {
		return r
	}
	return k
}

// The same TCP connection appears untagged, in VLAN 42 and in QinQ 10/20: 6
// directional keys (3 biflows) when the key holds the VLAN, 2 (1 biflow) when it
// does not.
func TestVLANKeysSeparateFlows(t *testing.T) {
	pkts, p := parseTrace(t, "zeek-vlan-collisions.pcap", Options{})
	keys, keysNoVLAN := map[flow.Key]bool{}, map[flow.Key]bool{}
	biflows, biflowsNoVLAN := map[flow.Key]bool{}, map[flow.Key]bool{}
	vlans := map[uint16]int{}
	for _, pkt := range pkts {
		keys[pkt.Key] = true
		biflows[biflowKey(pkt.Key)] = true
		k := pkt.Key
		k.VLAN = 0
		keysNoVLAN[k] = true
		biflowsNoVLAN[biflowKey(k)] = true
		vlans[pkt.VLAN]++
	}
	if len(keys) != 6 || len(keysNoVLAN) != 2 {
		t.Errorf("%d keys with VLAN, %d without; want 6 and 2", len(keys), len(keysNoVLAN))
	}
	if len(biflows) != 3 || len(biflowsNoVLAN) != 1 {
		t.Errorf("%d biflows with VLAN, %d without; want 3 and 1",
			len(biflows), len(biflowsNoVLAN))
	}
	if vlans[0] != 14 || vlans[42] != 14 || vlans[10] != 14 || len(vlans) != 3 {
		t.Errorf("packets per outermost VLAN %v; want 14 each in 0, 42 and 10", vlans)
	}
	if st := p.Stats(); st.Reasons[OK] != st.Frames {
		t.Errorf("stats %+v: every frame should be a flow packet", st)
	}
}

func TestStackedVLANTags(t *testing.T) {
	for _, tc := range []struct {
		file string
		vlan uint16
	}{
		{"zeek-http-qinq-0.pcap", 0}, // both tags carry VLAN ID 0
		{"zeek-vlan-qinqinq.pcap", 30},
	} {
		t.Run(tc.file, func(t *testing.T) {
			pkts, p := parseTrace(t, tc.file, Options{})
			if st := p.Stats(); len(pkts) != 14 || st.Frames != 14 {
				t.Fatalf("%d flow packets of %d frames, want 14 of 14", len(pkts), st.Frames)
			}
			for _, pkt := range pkts {
				if pkt.VLAN != tc.vlan || pkt.Protocol != protoTCP ||
					(pkt.SrcPort != 80 && pkt.DstPort != 80) {
					t.Fatalf("packet %+v: want VLAN %d, TCP port 80", pkt.Key, tc.vlan)
				}
			}
		})
	}
}

// Frames 142, 150 and 157 of tcpreplay-test.pcap are ICMP echo requests and a
// reply inside VLAN 1 inside an Ethernet pseudowire with a control word, under
// one MPLS label.
func TestMPLSPseudowire(t *testing.T) {
	frames := readTrace(t, "tcpreplay-test.pcap")
	p := NewParser(Options{})
	src, dst := netip.MustParseAddr("192.168.1.1"), netip.MustParseAddr("192.168.1.2")
	for _, tc := range []struct {
		frame    int
		src, dst netip.Addr
		icmp     uint16
	}{
		{142, src, dst, 8 << 8},
		{150, dst, src, 0},
		{157, src, dst, 8 << 8},
	} {
		var pkt flow.Packet
		if r := p.Parse(&frames[tc.frame-1], &pkt); r != OK {
			t.Fatalf("frame %d: %v", tc.frame, r)
		}
		if pkt.SrcIP() != tc.src || pkt.DstIP() != tc.dst || pkt.VLAN != 1 ||
			pkt.Protocol != protoICMP || pkt.ICMPTypeCode != tc.icmp || pkt.IPBytes != 100 {
			t.Errorf("frame %d: %+v, want ICMP %#04x %v > %v in VLAN 1",
				tc.frame, pkt, tc.icmp, tc.src, tc.dst)
		}
	}
}

func TestTunnelDecapsulation(t *testing.T) {
	for _, tc := range []struct {
		file   string
		tunnel flow.TunnelType
		id     uint32
		outer  []string // outer addresses, either direction
	}{
		{"zeek-gre-sample.pcap", flow.TunnelGRE, 0, []string{"172.27.1.66", "66.59.109.137"}},
		{"zeek-vxlan-encapsulated-http.pcap", flow.TunnelVXLAN, 1,
			[]string{"10.1.200.131", "10.1.1.172"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			plain, _ := parseTrace(t, tc.file, Options{})
			inner, p := parseTrace(t, tc.file, Options{Decapsulate: true})
			if len(plain) != len(inner) || len(inner) == 0 {
				t.Fatalf("%d outer and %d inner flow packets", len(plain), len(inner))
			}
			if st := p.Stats(); st.Decapsulated != uint64(len(inner)) {
				t.Errorf("Decapsulated %d, want %d", st.Decapsulated, len(inner))
			}
			for i := range inner {
				o, in := &plain[i], &inner[i]
				if o.TunnelType != flow.TunnelNone || in.TunnelType != tc.tunnel ||
					in.TunnelID != tc.id {
					t.Fatalf("packet %d: tunnel %+v, want type %d id %d", i, in.Tunnel,
						tc.tunnel, tc.id)
				}
				if in.Tunnel.SrcAddr != o.SrcAddr || in.Tunnel.DstAddr != o.DstAddr {
					t.Errorf("packet %d: tunnel addresses differ from the outer header", i)
				}
				k := o.Key
				if s := k.SrcIP().String(); s != tc.outer[0] && s != tc.outer[1] {
					t.Errorf("packet %d: outer source %s", i, s)
				}
				if in.IPBytes >= o.IPBytes || in.SrcAddr == o.SrcAddr {
					t.Errorf("packet %d: inner %+v looks like the outer %+v", i, in.Key, o.Key)
				}
			}
		})
	}
}

func TestFragmentsGetPorts(t *testing.T) {
	for _, tc := range []struct {
		file                 string
		attached, unattached uint64
		ports                [2]uint16 // of the fragmented datagram
	}{
		{"zeek-ipv4-fragmented-3.pcap", 4, 0, [2]uint16{1265, 21}},
		{"zeek-ipv6-fragmented-dns.pcap", 2, 1, [2]uint16{53, 51851}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			pkts, p := parseTrace(t, tc.file, Options{})
			st := p.Stats()
			if st.FragmentsAttached != tc.attached || st.FragmentsUnattached != tc.unattached {
				t.Errorf("attached %d, unattached %d; want %d, %d", st.FragmentsAttached,
					st.FragmentsUnattached, tc.attached, tc.unattached)
			}
			n := 0
			for _, pkt := range pkts {
				if pkt.SrcPort == tc.ports[0] && pkt.DstPort == tc.ports[1] {
					n++
				}
			}
			if want := int(tc.attached) + 1; n != want {
				t.Errorf("%d packets with ports %v, want %d", n, tc.ports, want)
			}
		})
	}
}

// With a timeout shorter than the gap between fragments, later fragments no
// longer find their first fragment.
func TestFragmentTimeout(t *testing.T) {
	frames := readTrace(t, "zeek-ipv4-fragmented-3.pcap")
	gap := frames[1].Timestamp - frames[0].Timestamp
	if gap <= 1 {
		t.Fatalf("fragments are %d ns apart, too close to test the timeout", gap)
	}
	p := NewParser(Options{FragmentTimeout: 1})
	var pkt flow.Packet
	for i := range frames {
		p.Parse(&frames[i], &pkt)
	}
	if st := p.Stats(); st.FragmentsAttached != 0 || st.FragmentsUnattached != 4 {
		t.Errorf("stats %+v: want every later fragment unattached", st)
	}
}

// The traces of each non-Ethernet link type parse completely. The expected
// counts of IP frames come from tshark's decoding of the same files.
func TestLinkTypeTraces(t *testing.T) {
	for _, tc := range []struct {
		file      string
		ok, notIP uint64
		biflows   int
	}{
		{"ndpi-ocs-rawip.pcap", 946, 0, 0},
		{"ndpi-kakaotalk-sll.pcap", 3203, 0, 0},
		{"suricata-sll2-gro.pcap", 159, 0, 0},
		// An ICMP and an ICMPv6 exchange, and 2 ARP frames.
		{"zeek-linux-sll2.pcap", 4, 2, 2},
		// One QUIC connection, ::1 port 443 with port 65165.
		{"tcpdump-quic-handshake-truncated-null.pcap", 18, 0, 1},
		{"zeek-mixed-vlan-mpls.pcap", 47, 0, 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			pkts, p := parseTrace(t, tc.file, Options{})
			st := p.Stats()
			if st.Reasons[OK] != tc.ok || st.Reasons[NotIP] != tc.notIP ||
				st.Frames != tc.ok+tc.notIP {
				t.Errorf("frames %d: ok %d, not-ip %d; want %d, %d", st.Frames,
					st.Reasons[OK], st.Reasons[NotIP], tc.ok, tc.notIP)
			}
			biflows := map[flow.Key]bool{}
			for _, pkt := range pkts {
				biflows[biflowKey(pkt.Key)] = true
			}
			if tc.biflows != 0 && len(biflows) != tc.biflows {
				t.Errorf("%d biflows, want %d", len(biflows), tc.biflows)
			}
		})
	}
}
