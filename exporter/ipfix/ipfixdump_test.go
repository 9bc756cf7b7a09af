package ipfix

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// dumpedMessage is one message as ipfixDump prints it.
type dumpedMessage struct {
	seq, domain uint64
	records     []map[string]string // element name to printed value
}

var (
	dumpHeader = regexp.MustCompile(`observation domain id: (\d+)`)
	dumpSeq    = regexp.MustCompile(`sequence number: (\d+)`)
	dumpField  = regexp.MustCompile(`^\s*\([\d/]+\)\s+(\S+) : (.*)$`)
)

// ipfixDump decodes a file of IPFIX messages with ipfixDump, fails the test on any
// warning it prints, and returns the messages.
func ipfixDump(t *testing.T, stream []byte) []dumpedMessage {
	t.Helper()
	path := tempPath(t, "stream.ipfix")
	if err := os.WriteFile(path, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ipfixDump", "-i", path)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ipfixDump: %v\n%s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Fatalf("ipfixDump warned:\n%s", stderr.String())
	}

	var msgs []dumpedMessage
	var rec map[string]string
	for _, line := range strings.Split(stdout.String(), "\n") {
		switch {
		case strings.HasPrefix(line, "--- Message Header"):
			msgs = append(msgs, dumpedMessage{})
		case dumpHeader.MatchString(line) && len(msgs) > 0:
			msgs[len(msgs)-1].domain, _ = strconv.ParseUint(dumpHeader.FindStringSubmatch(line)[1], 10, 32)
		case dumpSeq.MatchString(line) && len(msgs) > 0:
			msgs[len(msgs)-1].seq, _ = strconv.ParseUint(dumpSeq.FindStringSubmatch(line)[1], 10, 32)
		case strings.HasPrefix(line, "--- data record") && len(msgs) > 0:
			rec = map[string]string{}
			m := &msgs[len(msgs)-1]
			m.records = append(m.records, rec)
		case dumpField.MatchString(line) && rec != nil:
			f := dumpField.FindStringSubmatch(line)
			rec[f[1]] = f[2]
		}
	}
	return msgs
}

// checkDumpedRecord compares every element ipfixDump printed with the flow it came
// from. ipfixDump 2.4.1 prints microsecond times with the fraction dropped, so for
// them the second is checked here and, if it prints one, the fraction; tshark proves
// the fraction always.
func checkDumpedRecord(t *testing.T, got map[string]string, r *flow.Record, enc encoding) {
	t.Helper()
	mac := func(m [6]byte) string {
		return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
	}
	want := map[string]string{
		"flowEndReason":            fmt.Sprint(uint8(r.EndReason)),
		"octetDeltaCount":          fmt.Sprint(r.Bytes),
		"reverseOctetDeltaCount":   fmt.Sprint(r.BytesRev),
		"packetDeltaCount":         fmt.Sprint(r.Packets),
		"reversePacketDeltaCount":  fmt.Sprint(r.PacketsRev),
		"ipVersion":                fmt.Sprint(r.IPVersion),
		"protocolIdentifier":       fmt.Sprint(r.Protocol),
		"tcpControlBits":           fmt.Sprint(r.TCPFlags),
		"reverseTcpControlBits":    fmt.Sprint(r.TCPFlagsRev),
		"sourceTransportPort":      fmt.Sprint(r.SrcPort),
		"destinationTransportPort": fmt.Sprint(r.DstPort),
		"ingressInterface":         fmt.Sprint(r.IfIndex),
		"flowDirection":            fmt.Sprint(r.Direction),
		"sourceMacAddress":         mac(r.SrcMAC),
		"destinationMacAddress":    mac(r.DstMAC),
		"vlanId":                   fmt.Sprint(r.VLAN),
	}
	if enc.tunnels && r.TunnelType == flow.TunnelGRE {
		want["greKey"] = fmt.Sprint(r.TunnelID)
	}
	if enc.tunnels && r.TunnelType == flow.TunnelVXLAN {
		want["layer2SegmentId"] = fmt.Sprint(vxlanSegment | uint64(r.TunnelID))
	}
	if r.IPVersion == 6 {
		want["sourceIPv6Address"] = r.SrcIP().String()
		want["destinationIPv6Address"] = r.DstIP().String()
		want["icmpTypeCodeIPv6"] = fmt.Sprint(icmpTypeCode(r))
	} else {
		want["sourceIPv4Address"] = r.SrcIP().String()
		want["destinationIPv4Address"] = r.DstIP().String()
		want["icmpTypeCodeIPv4"] = fmt.Sprint(icmpTypeCode(r))
	}
	if enc.milliseconds {
		want["flowStartMilliseconds"] = msString(r.TimeFirst)
		want["flowEndMilliseconds"] = msString(r.TimeLast)
	}
	elements := len(want)
	if !enc.milliseconds {
		elements += 2 // the microsecond times, checked below
	}
	for k, w := range want {
		g := got[k]
		if strings.HasSuffix(k, "Address") && !strings.HasSuffix(k, "MacAddress") {
			// ipfixDump writes every IPv6 group with four digits.
			if a, err := netip.ParseAddr(g); err == nil {
				g = a.String()
			}
		}
		if g != w {
			t.Errorf("record of %v: ipfixDump %s = %q, want %q", r.SrcIP(), k, got[k], w)
		}
	}
	if len(got) != elements {
		t.Errorf("record of %v: ipfixDump printed %d elements, want %d", r.SrcIP(),
			len(got), elements)
	}
	if enc.milliseconds {
		return
	}
	for k, ns := range map[string]int64{"flowStartMicroseconds": r.TimeFirst,
		"flowEndMicroseconds": r.TimeLast} {
		ts := time.Unix(0, ns).UTC()
		sec, frac, _ := strings.Cut(got[k], ".")
		if sec != ts.Format(time.DateTime) ||
			(frac != "000000" && frac != fmt.Sprintf("%06d", ts.Nanosecond()/1000)) {
			t.Errorf("record of %v: ipfixDump %s = %q, want %s", r.SrcIP(), k, got[k],
				ts.Format("2006-01-02 15:04:05.000000"))
		}
	}
}

func msString(ns int64) string {
	return time.UnixMilli(ns / 1e6).UTC().Format("2006-01-02 15:04:05.000")
}

// checkDump checks the sequence numbers and domain of every message and every
// record against records, in order.
func checkDump(t *testing.T, msgs []dumpedMessage, domain uint64, records []flow.Record,
	enc encoding) {
	t.Helper()
	var seq uint64
	var got []map[string]string
	for i, m := range msgs {
		if m.seq != seq || m.domain != domain {
			t.Errorf("message %d: sequence %d domain %d, want %d and %d", i, m.seq, m.domain,
				seq, domain)
		}
		seq += uint64(len(m.records))
		got = append(got, m.records...)
	}
	if len(got) != len(records) {
		t.Fatalf("ipfixDump printed %d records, want %d", len(got), len(records))
	}
	for i := range records {
		checkDumpedRecord(t, got[i], &records[i], enc)
	}
}

// TestIpfixDumpReadsUDPExport writes what a UDP collector received to a file and
// has ipfixDump, the strictest of the decoders, read it without a warning.
func TestIpfixDumpReadsUDPExport(t *testing.T) {
	requireTool(t, "ipfixDump")
	for _, ms := range []bool{false, true} {
		t.Run(fmt.Sprintf("milliseconds=%v", ms), func(t *testing.T) {
			records := sampleRecords(300)
			msgs, _ := exportUDP(t, Options{ObservationDomainID: 77, Milliseconds: ms,
				Tunnels: true}, records)
			checkDump(t, ipfixDump(t, bytes.Join(msgs, nil)), 77, records,
				encoding{milliseconds: ms, tunnels: true})
		})
	}
}
