package ipfix

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// tsharkFlows decodes a pcap of IPFIX datagrams with tshark and returns the message
// headers (sequence number, domain) and every decoded flow, as tshark's JSON fields.
func tsharkFlows(t *testing.T, pcap, decodeAs string) (headers [][2]uint64,
	flows []map[string]any) {
	t.Helper()
	out, _ := run(t, "tshark", "-r", pcap, "-d", decodeAs,
		"-T", "json", "--no-duplicate-keys", "-J", "cflow")
	var packets []struct {
		Source struct {
			Layers struct {
				Cflow map[string]any `json:"cflow"`
			} `json:"layers"`
		} `json:"_source"`
	}
	if err := json.Unmarshal([]byte(out), &packets); err != nil {
		t.Fatalf("tshark json: %v", err)
	}
	for i, p := range packets {
		c := p.Source.Layers.Cflow
		if c == nil && i < 3 && strings.HasPrefix(decodeAs, "tcp") {
			continue // the handshake
		}
		if c == nil || c["cflow.version"] != "10" {
			t.Fatalf("packet %d: tshark did not decode IPFIX: %v", i, c)
		}
		seq, _ := strconv.ParseUint(fmt.Sprint(c["cflow.sequence"]), 10, 32)
		od, _ := strconv.ParseUint(fmt.Sprint(c["cflow.od_id"]), 10, 32)
		headers = append(headers, [2]uint64{seq, od})
		for k, set := range c {
			if !strings.HasPrefix(k, "Set ") {
				continue
			}
			for name, f := range set.(map[string]any) {
				if strings.HasPrefix(name, "Flow ") {
					flows = append(flows, f.(map[string]any))
				}
			}
		}
	}
	return headers, flows
}

// tsharkTime parses tshark's absolute time and returns Unix nanoseconds.
func tsharkTime(t *testing.T, v any) int64 {
	t.Helper()
	ts, err := time.Parse("Jan _2, 2006 15:04:05.999999999 MST", fmt.Sprint(v))
	if err != nil {
		t.Fatalf("tshark time %q: %v", v, err)
	}
	return ts.UnixNano()
}

// checkTsharkFlow compares every field tshark decoded with the flow it came from.
func checkTsharkFlow(t *testing.T, f map[string]any, r *flow.Record, enc encoding) {
	t.Helper()
	hex := func(v uint8) string { return fmt.Sprintf("0x%04x", v) }
	mac := func(m [6]byte) string {
		return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
	}
	want := map[string]string{
		"cflow.flow_end_reason":   fmt.Sprint(uint8(r.EndReason)),
		"cflow.octets":            fmt.Sprintf("[%d %d]", r.Bytes, r.BytesRev),
		"cflow.packets":           fmt.Sprintf("[%d %d]", r.Packets, r.PacketsRev),
		"cflow.ip_version":        fmt.Sprint(r.IPVersion),
		"cflow.protocol":          fmt.Sprint(r.Protocol),
		"cflow.tcpflags":          fmt.Sprintf("[%s %s]", hex(r.TCPFlags), hex(r.TCPFlagsRev)),
		"cflow.srcport":           fmt.Sprint(r.SrcPort),
		"cflow.dstport":           fmt.Sprint(r.DstPort),
		"cflow.inputint":          fmt.Sprint(r.IfIndex),
		"cflow.direction":         fmt.Sprint(r.Direction),
		"cflow.srcmac":            mac(r.SrcMAC),
		"cflow.dstmac":            mac(r.DstMAC),
		"cflow.vlanid":            fmt.Sprint(r.VLAN),
		"cflow.gre_key":           "<nil>", // absent
		"cflow.layer2_segment_id": "<nil>",
	}
	if enc.tunnels && r.TunnelType == flow.TunnelGRE {
		want["cflow.gre_key"] = fmt.Sprint(r.TunnelID)
	}
	if enc.tunnels && r.TunnelType == flow.TunnelVXLAN {
		want["cflow.layer2_segment_id"] = fmt.Sprint(vxlanSegment | uint64(r.TunnelID))
	}
	if r.IPVersion == 6 {
		want["cflow.srcaddrv6"] = r.SrcIP().String()
		want["cflow.dstaddrv6"] = r.DstIP().String()
		want["cflow.icmp_ipv6_type"] = fmt.Sprint(icmpTypeCode(r) >> 8)
		want["cflow.icmp_ipv6_code"] = fmt.Sprint(icmpTypeCode(r) & 0xff)
	} else {
		want["cflow.srcaddr"] = r.SrcIP().String()
		want["cflow.dstaddr"] = r.DstIP().String()
		want["cflow.icmp_type_code_ipv4"] = fmt.Sprintf("0x%04x", icmpTypeCode(r))
	}
	for k, w := range want {
		if got := fmt.Sprint(f[k]); got != w {
			t.Errorf("flow of %v: tshark %s = %s, want %s", r.SrcIP(), k, got, w)
		}
	}

	times, _ := f["cflow.timedelta_tree"].(map[string]any)
	for _, tm := range []struct {
		field string
		want  int64
	}{{"cflow.abstimestart", r.TimeFirst}, {"cflow.abstimeend", r.TimeLast}} {
		got := tsharkTime(t, times[tm.field])
		if enc.milliseconds {
			if got != tm.want/1e6*1e6 {
				t.Errorf("flow of %v: %s = %d ns, want %d ms", r.SrcIP(), tm.field, got, tm.want/1e6)
			}
			continue
		}
		// The encoding keeps microseconds and may add under half a microsecond.
		if got/1000 != tm.want/1000 || got%1000 >= 500 {
			t.Errorf("flow of %v: %s = %d ns, want %d us", r.SrcIP(), tm.field, got, tm.want/1000)
		}
	}
}

// TestTsharkDecodesUDPExport sends flows over UDP and has tshark decode what was
// received, field by field, in both time encodings.
func TestTsharkDecodesUDPExport(t *testing.T) {
	requireTool(t, "tshark")
	for _, ms := range []bool{false, true} {
		t.Run(fmt.Sprintf("milliseconds=%v", ms), func(t *testing.T) {
			records := sampleRecords(400)
			msgs, st := exportUDP(t, Options{ObservationDomainID: 99, Milliseconds: ms,
				Tunnels: true}, records)
			pcap := tempPath(t, "export.pcap")
			writePcap(t, pcap, 4739, msgs)
			if len(msgs) != int(st.MessagesSent+st.TemplatesSent) {
				t.Fatalf("collector got %d messages, exporter sent %d", len(msgs),
					st.MessagesSent+st.TemplatesSent)
			}
			checkTshark(t, pcap, "udp.port==4739,cflow", msgs, 99, records,
				encoding{milliseconds: ms, tunnels: true})
		})
	}
}

// checkTshark decodes pcap with tshark and checks the header of every message and
// every field of every flow. msgs are the messages the pcap carries, in order.
func checkTshark(t *testing.T, pcap, decodeAs string, msgs [][]byte, domain uint64,
	records []flow.Record, enc encoding) {
	t.Helper()
	headers, flows := tsharkFlows(t, pcap, decodeAs)
	if len(headers) != len(msgs) || len(flows) != len(records) {
		t.Fatalf("tshark saw %d messages and %d flows, want %d and %d", len(headers),
			len(flows), len(msgs), len(records))
	}
	templates := map[uint16][]templateField{}
	seq := uint64(0)
	for i, h := range headers {
		if h[0] != seq || h[1] != domain {
			t.Errorf("message %d: sequence %d domain %d, want %d and %d", i, h[0], h[1], seq,
				domain)
		}
		m, err := decodeMessage(msgs[i], templates)
		if err != nil {
			t.Fatal(err)
		}
		seq += uint64(len(m.records))
	}

	bySrc := map[string]*flow.Record{}
	for i := range records {
		bySrc[records[i].SrcIP().String()] = &records[i]
	}
	for _, f := range flows {
		src := fmt.Sprint(f["cflow.srcaddr"])
		if f["cflow.srcaddrv6"] != nil {
			src = fmt.Sprint(f["cflow.srcaddrv6"])
		}
		r := bySrc[src]
		if r == nil {
			t.Fatalf("tshark decoded a flow from %s that was not exported (or twice)", src)
		}
		delete(bySrc, src)
		checkTsharkFlow(t, f, r, enc)
	}
}

// TestTsharkDecodesTCPExport sends flows over TCP and has tshark decode the session
// the collector received, field by field.
func TestTsharkDecodesTCPExport(t *testing.T) {
	requireTool(t, "tshark")
	records := sampleRecords(400)
	col := newTCPCollector(t, "127.0.0.1:0")
	e, err := New(Options{Address: col.ln.Addr().String(), Transport: TCP,
		ObservationDomainID: 12, Tunnels: true})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, "connection", func(s Stats) bool { return s.Connected })
	if err := e.Export(records); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	col.waitRecords(t, 0, len(records))
	stream := col.session(0)
	msgs, err := decodeStream(stream, map[uint16][]templateField{})
	if err != nil {
		t.Fatal(err)
	}
	var raw [][]byte
	for _, m := range msgs {
		raw = append(raw, stream[:m.length])
		stream = stream[m.length:]
	}
	pcap := tempPath(t, "export-tcp.pcap")
	writePcapTCP(t, pcap, 4739, col.session(0))
	checkTshark(t, pcap, "tcp.port==4739,cflow", raw, 12, records, encoding{tunnels: true})
}
