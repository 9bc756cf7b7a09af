package main

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

var traceStart = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// pk describes one packet of a crafted trace.
type pk struct {
	at       float64 // seconds after traceStart
	src, dst string  // "addr:port"; the port is ignored for ICMP
	proto    layers.IPProtocol
	flags    string // TCP flags: any of "SAFRP"
	vlan     uint16 // 0 for untagged
	payload  int
	icmpType uint8
	vni      uint32 // when not 0, the frame travels in this VXLAN segment
}

// Outer addresses of the VXLAN tunnel crafted frames travel in.
const vtepA, vtepB = "198.18.100.1", "198.18.100.2"

func (p pk) frame(t *testing.T) []byte {
	t.Helper()
	src, dst := netip.MustParseAddrPort(p.src), netip.MustParseAddrPort(p.dst)
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1},
		DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: p.proto,
		SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	stack := []gopacket.SerializableLayer{eth}
	if p.vlan != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		stack = append(stack, &layers.Dot1Q{VLANIdentifier: p.vlan,
			Type: layers.EthernetTypeIPv4})
	}
	stack = append(stack, ip)
	switch p.proto {
	case layers.IPProtocolTCP:
		tcp := &layers.TCP{SrcPort: layers.TCPPort(src.Port()),
			DstPort: layers.TCPPort(dst.Port()), Window: 1000}
		for _, f := range p.flags {
			switch f {
			case 'S':
				tcp.SYN = true
			case 'A':
				tcp.ACK = true
			case 'F':
				tcp.FIN = true
			case 'R':
				tcp.RST = true
			case 'P':
				tcp.PSH = true
			}
		}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		stack = append(stack, tcp)
	case layers.IPProtocolUDP:
		udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()),
			DstPort: layers.UDPPort(dst.Port())}
		if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		stack = append(stack, udp)
	case layers.IPProtocolICMPv4:
		stack = append(stack, &layers.ICMPv4{
			TypeCode: layers.CreateICMPv4TypeCode(p.icmpType, 0), Id: 1, Seq: 1})
	}
	stack = append(stack, gopacket.Payload(make([]byte, p.payload)))
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, stack...); err != nil {
		t.Fatal(err)
	}
	if p.vni == 0 {
		return buf.Bytes()
	}
	return vxlanFrame(t, p.vni, buf.Bytes())
}

// vxlanFrame wraps an Ethernet frame in VXLAN segment vni from vtepA to vtepB.
func vxlanFrame(t *testing.T, vni uint32, inner []byte) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.ParseIP(vtepA), DstIP: net.ParseIP(vtepB)}
	udp := &layers.UDP{SrcPort: 49152, DstPort: 4789}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts,
		&layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 1, 1},
			DstMAC: net.HardwareAddr{2, 0, 0, 0, 1, 2}, EthernetType: layers.EthernetTypeIPv4},
		ip, udp, &layers.VXLAN{ValidIDFlag: true, VNI: vni}, gopacket.Payload(inner),
	); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeTrace writes packets to a new pcap file and returns its path.
func writeTrace(t *testing.T, packets []pk) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crafted.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, p := range packets {
		data := p.frame(t)
		ts := traceStart.Add(time.Duration(p.at * float64(time.Second)))
		ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data),
			Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

const (
	tcp  = layers.IPProtocolTCP
	udp  = layers.IPProtocolUDP
	icmp = layers.IPProtocolICMPv4
	cli  = "198.18.0.1:40000"
	srv  = "198.18.0.2:80"
)

// every returns a packet from cli to srv every step seconds from 0 to last.
func every(step, last float64) []pk {
	var out []pk
	for at := 0.0; at <= last; at += step {
		out = append(out, pk{at: at, src: cli, dst: srv, proto: udp, payload: 10})
	}
	return out
}

func TestCraftedTraces(t *testing.T) {
	// IP lengths: TCP 40 + payload, UDP 28 + payload, ICMP echo 28 + payload.
	cases := []struct {
		name    string
		args    []string
		packets []pk
		want    []row // the listed columns of each record, sorted by TIME_FIRST, VLAN
	}{{
		name: "tcp connection is one biflow ended by its close",
		packets: []pk{
			{at: 0, src: cli, dst: srv, proto: tcp, flags: "S"},
			{at: 0.01, src: srv, dst: cli, proto: tcp, flags: "SA"},
			{at: 0.02, src: cli, dst: srv, proto: tcp, flags: "A"},
			{at: 0.03, src: cli, dst: srv, proto: tcp, flags: "PA", payload: 100},
			{at: 0.04, src: srv, dst: cli, proto: tcp, flags: "PA", payload: 1000},
			{at: 0.05, src: cli, dst: srv, proto: tcp, flags: "FA"},
			{at: 0.06, src: srv, dst: cli, proto: tcp, flags: "FA"},
			{at: 0.07, src: cli, dst: srv, proto: tcp, flags: "A"},
			{at: 9, src: "198.18.9.9:1", dst: "198.18.9.8:2", proto: udp}, // moves time on
		},
		want: []row{
			{"SRC_IP": "198.18.0.1", "SRC_PORT": "40000", "DST_PORT": "80",
				"PACKETS": "5", "PACKETS_REV": "3", "BYTES": "300", "BYTES_REV": "1120",
				"TCP_FLAGS": "27", "TCP_FLAGS_REV": "27", "END_REASON": "end"},
			{"SRC_IP": "198.18.9.9", "PACKETS": "1", "END_REASON": "forced"},
		},
	}, {
		name: "with --fin-wait 0 the close ends the flow at the first fin",
		args: []string{"--fin-wait", "0"},
		packets: []pk{
			{at: 0, src: cli, dst: srv, proto: tcp, flags: "A"},
			{at: 1, src: cli, dst: srv, proto: tcp, flags: "FA"},
			{at: 1.1, src: srv, dst: cli, proto: tcp, flags: "FA"},
		},
		want: []row{
			{"SRC_IP": "198.18.0.1", "PACKETS": "2", "PACKETS_REV": "0", "END_REASON": "end"},
			{"SRC_IP": "198.18.0.2", "PACKETS": "1", "PACKETS_REV": "0", "END_REASON": "end"},
		},
	}, {
		name: "icmp echo request and reply are one biflow",
		packets: []pk{
			{at: 0, src: "198.18.0.1:0", dst: "198.18.0.2:0", proto: icmp, icmpType: 8,
				payload: 56},
			{at: 0.001, src: "198.18.0.2:0", dst: "198.18.0.1:0", proto: icmp,
				payload: 56},
		},
		want: []row{{"SRC_IP": "198.18.0.1", "PROTOCOL": "1", "PACKETS": "1",
			"PACKETS_REV": "1", "BYTES": "84", "BYTES_REV": "84", "SRC_PORT": "0",
			"ICMP_TYPE_CODE": "2048"}},
	}, {
		name:    "inactive timeout on packet time",
		args:    []string{"-t", "10:2"},
		packets: append(every(1, 1), pk{at: 5, src: cli, dst: srv, proto: udp}),
		want: []row{
			{"PACKETS": "2", "BYTES": "76", "END_REASON": "idle",
				"TIME_LAST": "2024-05-01T12:00:01.000000Z"},
			{"PACKETS": "1", "BYTES": "28", "END_REASON": "forced",
				"TIME_FIRST": "2024-05-01T12:00:05.000000Z"},
		},
	}, {
		name:    "active timeout cuts a long flow",
		args:    []string{"--active", "10s", "--inactive", "5s"},
		packets: every(1, 24),
		want: []row{
			{"PACKETS": "10", "END_REASON": "active",
				"TIME_FIRST": "2024-05-01T12:00:00.000000Z"},
			{"PACKETS": "10", "END_REASON": "active",
				"TIME_FIRST": "2024-05-01T12:00:10.000000Z"},
			{"PACKETS": "5", "END_REASON": "forced",
				"TIME_FIRST": "2024-05-01T12:00:20.000000Z"},
		},
	}, {
		name: "vlan is part of the key",
		packets: []pk{
			{at: 0, src: cli, dst: srv, proto: udp},
			{at: 0.1, src: cli, dst: srv, proto: udp, vlan: 10},
			{at: 0.2, src: srv, dst: cli, proto: udp, vlan: 10},
			{at: 0.3, src: cli, dst: srv, proto: udp, vlan: 20},
		},
		want: []row{
			{"VLAN": "0", "PACKETS": "1", "PACKETS_REV": "0"},
			{"VLAN": "10", "PACKETS": "1", "PACKETS_REV": "1"},
			{"VLAN": "20", "PACKETS": "1", "PACKETS_REV": "0"},
		},
	}, {
		name: "with --decap the vxlan segment is part of the key",
		args: []string{"--decap"},
		packets: []pk{
			{at: 0, src: cli, dst: srv, proto: udp, vni: 100},
			{at: 0.1, src: srv, dst: cli, proto: udp, vni: 100},
			{at: 0.2, src: cli, dst: srv, proto: udp, vni: 200},
			{at: 0.3, src: srv, dst: cli, proto: udp, vni: 100},
		},
		want: []row{
			{"SRC_IP": "198.18.0.1", "TUNNEL": "vxlan", "TUNNEL_ID": "100",
				"TUNNEL_SRC_IP": vtepA, "TUNNEL_DST_IP": vtepB, "BYTES": "28",
				"PACKETS": "1", "PACKETS_REV": "2"},
			{"SRC_IP": "198.18.0.1", "TUNNEL": "vxlan", "TUNNEL_ID": "200",
				"PACKETS": "1", "PACKETS_REV": "0"},
		},
	}, {
		name: "without --decap a vxlan segment is one outer flow",
		packets: []pk{
			{at: 0, src: cli, dst: srv, proto: udp, vni: 100},
			{at: 0.2, src: cli, dst: srv, proto: udp, vni: 200},
		},
		want: []row{{"SRC_IP": vtepA, "DST_PORT": "4789", "TUNNEL": "none",
			"PACKETS": "2"}},
	}, {
		name: "split mode makes one record per direction",
		args: []string{"--split"},
		packets: []pk{
			{at: 0, src: cli, dst: srv, proto: udp, payload: 2},
			{at: 0.5, src: srv, dst: cli, proto: udp, payload: 4},
		},
		want: []row{
			{"SRC_IP": "198.18.0.1", "BYTES": "30", "PACKETS_REV": "0"},
			{"SRC_IP": "198.18.0.2", "BYTES": "32", "PACKETS_REV": "0"},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			trace := writeTrace(t, tc.packets)
			args := append([]string{"-r", trace, "-o", "csv"}, tc.args...)
			stdout, stderr, code := flowprobe(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			rows := readCSV(t, stdout)
			sort.SliceStable(rows, func(i, j int) bool {
				if rows[i]["TIME_FIRST"] != rows[j]["TIME_FIRST"] {
					return rows[i]["TIME_FIRST"] < rows[j]["TIME_FIRST"]
				}
				return rows[i].uint(t, "VLAN") < rows[j].uint(t, "VLAN")
			})
			if len(rows) != len(tc.want) {
				t.Fatalf("%d records, want %d:\n%s", len(rows), len(tc.want), stdout)
			}
			for i, want := range tc.want {
				for k, v := range want {
					if rows[i][k] != v {
						t.Errorf("record %d: %s = %q, want %q", i, k, rows[i][k], v)
					}
				}
			}
		})
	}
}
