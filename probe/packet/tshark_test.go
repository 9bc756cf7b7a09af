package packet

import (
	"bytes"
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// tsharkFields are the fields asked of tshark for each frame, in column order.
var tsharkFields = []string{
	"frame.protocols", "ip.len", "ipv6.plen", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
	"ip.proto", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
	"tcp.flags", "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
}

// tsharkFrame is tshark's view of one frame: the protocol chain and, per field,
// the values of each occurrence in the frame.
type tsharkFrame struct {
	protocols []string
	values    map[string][]string
}

// runTshark decodes a trace with tshark, with IP reassembly off so that each
// fragment is reported on its own. It skips the test when tshark is missing.
func runTshark(t *testing.T, path string) []tsharkFrame {
	t.Helper()
	bin, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed; it is the independent decoder these checks need")
	}
	args := []string{"-n", "-r", path, "-T", "fields", "-E", "occurrence=a",
		"-E", "aggregator=,", "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
		"-o", "tcp.desegment_tcp_streams:FALSE"}
	for _, f := range tsharkFields {
		args = append(args, "-e", f)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v: %s", path, err, stderr.String())
	}
	var frames []tsharkFrame
	for line := range strings.SplitSeq(strings.TrimSuffix(string(out), "\n"), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) != len(tsharkFields) {
			t.Fatalf("tshark %s: line %d has %d columns, want %d",
				path, len(frames)+1, len(cols), len(tsharkFields))
		}
		f := tsharkFrame{protocols: strings.Split(cols[0], ":"), values: map[string][]string{}}
		for i, name := range tsharkFields[1:] {
			if cols[i+1] != "" {
				f.values[name] = strings.Split(cols[i+1], ",")
			}
		}
		frames = append(frames, f)
	}
	return frames
}

// tsharkIP is the IP layer of a frame the parser should key on, as tshark saw it.
type tsharkIP struct {
	present          bool
	ipBytes          uint32
	src, dst         netip.Addr
	proto            int // -1 when tshark does not say it directly (IPv6)
	srcPort, dstPort int // -1 when tshark decoded no TCP or UDP header right behind IP
	tcpFlags         int // -1 when tshark decoded no TCP header right behind IP
	icmpTypeCode     int // -1 when tshark decoded no ICMP header right behind IP
}

// ipLayer picks the first IP layer of the frame or, when inner is set, the first
// IP layer behind a GRE or VXLAN header (falling back to the first one when the
// frame has no tunnel).
func (f *tsharkFrame) ipLayer(inner bool) (tsharkIP, error) {
	seen := map[string]int{}
	pick := -1
	tunnelAt := -1
	for i, p := range f.protocols {
		if p == "gre" || p == "vxlan" {
			if tunnelAt < 0 {
				tunnelAt = i
			}
		}
	}
	for i, p := range f.protocols {
		if p != "ip" && p != "ipv6" {
			continue
		}
		if !inner || tunnelAt < 0 || i > tunnelAt {
			pick = i
			break
		}
	}
	for _, p := range f.protocols[:max(pick, 0)] {
		seen[p]++
	}
	if pick < 0 {
		return tsharkIP{}, nil
	}
	ip := tsharkIP{present: true, proto: -1, srcPort: -1, dstPort: -1, tcpFlags: -1,
		icmpTypeCode: -1}
	nth := func(field, proto string) (string, bool) {
		v := f.values[field]
		if seen[proto] >= len(v) {
			return "", false
		}
		return v[seen[proto]], true
	}
	lenField, srcField, dstField, base := "ip.len", "ip.src", "ip.dst", uint64(0)
	if f.protocols[pick] == "ipv6" {
		lenField, srcField, dstField, base = "ipv6.plen", "ipv6.src", "ipv6.dst", 40
	}
	s, ok := nth(lenField, f.protocols[pick])
	if !ok {
		return tsharkIP{}, fmt.Errorf("no %s for %s", lenField, f.protocols[pick])
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return tsharkIP{}, err
	}
	ip.ipBytes = uint32(base + n)
	for _, a := range []struct {
		field string
		dst   *netip.Addr
	}{{srcField, &ip.src}, {dstField, &ip.dst}} {
		s, ok := nth(a.field, f.protocols[pick])
		if !ok {
			// tshark stops decoding a header cut short before its addresses; such
			// a header cannot key a flow.
			return tsharkIP{}, nil
		}
		if *a.dst, err = netip.ParseAddr(s); err != nil {
			return tsharkIP{}, fmt.Errorf("%s: %w", a.field, err)
		}
	}
	if f.protocols[pick] == "ip" {
		s, _ := nth("ip.proto", "ip")
		ip.proto, _ = strconv.Atoi(s)
	}

	next := ""
	for _, p := range f.protocols[pick+1:] {
		if !strings.HasPrefix(p, "ipv6.") {
			next = p
			break
		}
	}
	switch next {
	case "tcp", "udp":
		s, ok1 := nth(next+".srcport", next)
		d, ok2 := nth(next+".dstport", next)
		if ok1 && ok2 {
			ip.srcPort, _ = strconv.Atoi(s)
			ip.dstPort, _ = strconv.Atoi(d)
		}
		if fl, ok := nth("tcp.flags", next); ok && next == "tcp" {
			v, _ := strconv.ParseUint(fl, 0, 16)
			ip.tcpFlags = int(v & 0xff) // tshark adds the ECN nonce and reserved bits
		}
	case "icmp", "icmpv6":
		ty, ok1 := nth(next+".type", next)
		co, ok2 := nth(next+".code", next)
		if ok1 && ok2 {
			t, _ := strconv.Atoi(ty)
			c, _ := strconv.Atoi(co)
			ip.icmpTypeCode = t<<8 | c
		}
	}
	return ip, nil
}

// compareWithTshark checks one parsed frame against tshark's decoding of it. The
// transport fields are compared only when tshark decoded the header that carries
// them; a non-first fragment, for one, has none.
func compareWithTshark(r Reason, pkt *flow.Packet, want tsharkIP) error {
	if !want.present {
		if r == OK {
			return fmt.Errorf("parser made a flow packet, tshark found no IP")
		}
		return nil
	}
	if r != OK {
		return fmt.Errorf("parser said %v, tshark found IP %v > %v", r, want.src, want.dst)
	}
	if pkt.IPBytes != want.ipBytes {
		return fmt.Errorf("IPBytes %d, tshark %d", pkt.IPBytes, want.ipBytes)
	}
	if pkt.SrcIP() != want.src || pkt.DstIP() != want.dst {
		return fmt.Errorf("addresses %v > %v, tshark %v > %v",
			pkt.SrcIP(), pkt.DstIP(), want.src, want.dst)
	}
	if want.proto >= 0 && int(pkt.Protocol) != want.proto {
		return fmt.Errorf("protocol %d, tshark %d", pkt.Protocol, want.proto)
	}
	if want.srcPort >= 0 &&
		(int(pkt.SrcPort) != want.srcPort || int(pkt.DstPort) != want.dstPort) {
		return fmt.Errorf("ports %d > %d, tshark %d > %d",
			pkt.SrcPort, pkt.DstPort, want.srcPort, want.dstPort)
	}
	if want.tcpFlags >= 0 && int(pkt.TCPFlags) != want.tcpFlags {
		return fmt.Errorf("TCP flags %#02x, tshark %#02x", pkt.TCPFlags, want.tcpFlags)
	}
	if want.icmpTypeCode >= 0 && int(pkt.ICMPTypeCode) != want.icmpTypeCode {
		return fmt.Errorf("ICMP %#04x, tshark %#04x", pkt.ICMPTypeCode, want.icmpTypeCode)
	}
	return nil
}
