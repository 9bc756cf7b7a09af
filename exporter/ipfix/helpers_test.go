package ipfix

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// baseTime is the packet time of the sample flows: 2026-03-01 12:00:00 UTC.
var baseTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano()

// sampleRecord returns the i-th of a deterministic set of flows that covers both
// families, TCP, UDP, ICMP and ICMPv6, every end reason and both directions, counters
// above 32 bits, times with sub-millisecond parts, VLANs, and flows from GRE and
// VXLAN tunnels.
func sampleRecord(i int) flow.Record {
	var r flow.Record
	var src, dst netip.Addr
	kind := i % 5
	if kind >= 3 {
		src = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i >> 8), 15: byte(i)})
		dst = netip.MustParseAddr("2001:db8::ffff:1")
	} else {
		src = netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
		dst = netip.AddrFrom4([4]byte{198, 19, 0, 1})
	}
	r.SetAddrs(src, dst)
	switch kind {
	case 0, 3:
		r.Protocol = 6
		r.SrcPort, r.DstPort = uint16(1024+i), 443
		r.TCPFlags, r.TCPFlagsRev = flow.TCPSyn|flow.TCPAck, flow.TCPAck|flow.TCPFin
	case 1:
		r.Protocol = 17
		r.SrcPort, r.DstPort = uint16(30000+i), 53
	case 2:
		r.Protocol = 1
		r.ICMPTypeCode = 8 << 8
	case 4:
		r.Protocol = 58
		r.ICMPTypeCode = 128<<8 | uint16(i%3)
	}
	r.SrcMAC = [6]byte{0x02, 0, 0, 0, byte(i >> 8), byte(i)}
	r.DstMAC = [6]byte{0x02, 0xff, 0, 0, 0, 1}
	r.Packets, r.PacketsRev = uint64(i+1), uint64(i/2)
	r.Bytes, r.BytesRev = uint64(i+1)*1500, uint64(i/2)*60
	if i%7 == 0 {
		r.Bytes += 1 << 33
		r.Packets += 1 << 32
	}
	r.TimeFirst = baseTime + int64(i)*1_000_123_456
	r.TimeLast = r.TimeFirst + int64(i%11)*987_654_321 + 1_001
	r.EndReason = flow.EndReason(1 + i%5)
	r.Direction = flow.Direction(i % 2)
	r.IfIndex = uint32(3 + i%4)
	r.VLAN = uint16(i % 4 * 1000)
	switch i % 6 {
	case 1:
		r.TunnelType, r.TunnelID = flow.TunnelGRE, uint32(0xfeed0000+i)
	case 2:
		r.TunnelType, r.TunnelID = flow.TunnelVXLAN, uint32(0xabc000+i)
	}
	return r
}

// maxRecordLen is the longest data record of any template: IPv6 in VXLAN.
const maxRecordLen = recordLenIPv6 + 8

func sampleRecords(n int) []flow.Record {
	rs := make([]flow.Record, n)
	for i := range rs {
		rs[i] = sampleRecord(i)
	}
	return rs
}

// requireTool skips the test when an external decoder is not installed.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (hack/setup-test-host.sh installs it): %v", name, err)
	}
	return path
}

// udpCollector keeps every datagram sent to it.
type udpCollector struct {
	conn *net.UDPConn
	mu   sync.Mutex
	msgs [][]byte
	done chan struct{}
}

func newUDPCollector(t *testing.T, addr string) *udpCollector {
	t.Helper()
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	if err != nil {
		t.Fatalf("listen udp %s: %v", addr, err)
	}
	_ = conn.SetReadBuffer(8 << 20)
	c := &udpCollector{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		buf := make([]byte, 65536)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, bytes.Clone(buf[:n]))
			c.mu.Unlock()
		}
	}()
	t.Cleanup(c.stop)
	return c
}

func (c *udpCollector) addr() string { return c.conn.LocalAddr().String() }

func (c *udpCollector) stop() {
	_ = c.conn.Close()
	<-c.done
}

// wait returns the datagrams once n have arrived, or fails the test.
func (c *udpCollector) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		got := len(c.msgs)
		msgs := c.msgs
		c.mu.Unlock()
		if got >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector got %d datagrams, want %d", got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// writePcap writes msgs as UDP datagrams from 127.0.0.1:40000 to 127.0.0.1:port.
func writePcap(t *testing.T, path string, port int, msgs [][]byte) {
	t.Helper()
	var out bytes.Buffer
	w := pcapgo.NewWriter(&out)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1},
			DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
			SrcIP: net.IPv4(127, 0, 0, 1), DstIP: net.IPv4(127, 0, 0, 1)}
		udp := &layers.UDP{SrcPort: 40000, DstPort: layers.UDPPort(port)}
		if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		if err := gopacket.SerializeLayers(buf, opts, eth, ip, udp, gopacket.Payload(m)); err != nil {
			t.Fatal(err)
		}
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1772366400, int64(i)*1000),
			CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}
		if err := w.WritePacket(ci, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writePcapTCP writes a TCP session from 127.0.0.1:40000 to 127.0.0.1:port that
// carries stream, one IPFIX message per segment after a three-way handshake.
func writePcapTCP(t *testing.T, path string, port int, stream []byte) {
	t.Helper()
	var out bytes.Buffer
	w := pcapgo.NewWriter(&out)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	const clientISN, serverISN = 1000, 5000
	seq, ack := uint32(clientISN), uint32(serverISN+1)
	frame := 0
	put := func(toServer bool, tcp layers.TCP, payload []byte) {
		src, dst := net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 0, 1)
		tcp.SrcPort, tcp.DstPort = 40000, layers.TCPPort(port)
		if !toServer {
			tcp.SrcPort, tcp.DstPort = tcp.DstPort, tcp.SrcPort
		}
		tcp.Window = 65535
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1},
			DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src,
			DstIP: dst}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		if err := gopacket.SerializeLayers(buf, opts, eth, ip, &tcp,
			gopacket.Payload(payload)); err != nil {
			t.Fatal(err)
		}
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1772366400, int64(frame)*1000),
			CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}
		frame++
		if err := w.WritePacket(ci, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	put(true, layers.TCP{SYN: true, Seq: clientISN}, nil)
	put(false, layers.TCP{SYN: true, ACK: true, Seq: serverISN, Ack: clientISN + 1}, nil)
	seq++
	put(true, layers.TCP{ACK: true, Seq: seq, Ack: ack}, nil)
	for off := 0; off+4 <= len(stream); {
		n := int(stream[off+2])<<8 | int(stream[off+3])
		if n == 0 || off+n > len(stream) {
			t.Fatalf("stream offset %d: bad message length %d", off, n)
		}
		put(true, layers.TCP{ACK: true, PSH: true, Seq: seq, Ack: ack}, stream[off:off+n])
		seq += uint32(n)
		off += n
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// freePort returns a UDP port on 127.0.0.1 that nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func tempPath(t *testing.T, name string) string {
	return filepath.Join(t.TempDir(), name)
}

// run runs a command and returns its stdout, failing the test with stderr on error.
func run(t *testing.T, name string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}
