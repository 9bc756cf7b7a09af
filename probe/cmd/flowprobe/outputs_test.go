package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/trapout"
	"github.com/flowprobe/flowprobe/trapout/unirec"
)

// TestTRAPFileOutput sends the flows of a trace to a TRAP file interface and to CSV at
// once, reads the file back with the module API and checks that both carry the same
// packet and byte totals and the same number of flows.
func TestTRAPFileOutput(t *testing.T) {
	dir := t.TempDir()
	trapFile, csvFile := filepath.Join(dir, "flows.trapcap"), filepath.Join(dir, "f.csv")
	_, stderr, code := flowprobe(t, "-r", "../../../testdata/pcap/tcpreplay-test.pcap",
		"-i", "f:"+trapFile, "-o", "csv:"+csvFile)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}

	data, err := os.ReadFile(csvFile)
	if err != nil {
		t.Fatal(err)
	}
	var wantFlows int
	var wantPackets, wantBytes uint64
	for _, r := range readCSV(t, string(data)) {
		wantFlows++
		wantPackets += r.uint(t, "PACKETS") + r.uint(t, "PACKETS_REV")
		wantBytes += r.uint(t, "BYTES") + r.uint(t, "BYTES_REV")
	}

	ctx, err := trapout.Open("f:"+trapFile, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	in := ctx.Input(0)
	var tmpl *unirec.Template
	var flows int
	var packets, bytes uint64
	for {
		rec, err := in.Recv()
		var changed *trapout.FormatChangedError
		switch {
		case errors.Is(err, io.EOF):
		case errors.As(err, &changed):
			if tmpl, err = unirec.ParseTemplate(changed.Template); err != nil {
				t.Fatal(err)
			}
			continue
		case err != nil:
			t.Fatalf("read %s: %v", trapFile, err)
		default:
			if tmpl == nil {
				t.Fatal("a record came before its format")
			}
			flows++
			packets += uint64(tmpl.Uint32(rec, tmpl.Index("PACKETS"))) +
				uint64(tmpl.Uint32(rec, tmpl.Index("PACKETS_REV")))
			bytes += tmpl.Uint64(rec, tmpl.Index("BYTES")) +
				tmpl.Uint64(rec, tmpl.Index("BYTES_REV"))
			continue
		}
		break
	}
	if flows != wantFlows || packets != wantPackets || bytes != wantBytes || flows == 0 {
		t.Fatalf("TRAP file: %d flows %d packets %d bytes; CSV: %d flows %d packets "+
			"%d bytes", flows, packets, bytes, wantFlows, wantPackets, wantBytes)
	}
}

// TestTRAPPluginFields runs a trace of VLAN-tagged and ICMP flows with -p vlan,icmp
// and reads the TRAP file back: each record carries its flow's VLAN ID in VLAN_ID and
// the ICMP type and code in L4_ICMP_TYPE_CODE, besides the basic fields.
func TestTRAPPluginFields(t *testing.T) {
	trace := writeTrace(t, []pk{
		{at: 0, src: cli, dst: srv, proto: udp, vlan: 10},
		{at: 0.1, src: cli, dst: "198.18.0.2:0", proto: icmp, icmpType: 8, vlan: 20},
	})
	trapFile := filepath.Join(t.TempDir(), "flows.trapcap")
	_, stderr, code := flowprobe(t, "-r", trace, "-p", "vlan,icmp", "-i", "f:"+trapFile)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ctx, err := trapout.Open("f:"+trapFile, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	in := ctx.Input(0)
	in.SetRequired("uint16 VLAN_ID,uint16 L4_ICMP_TYPE_CODE,uint8 PROTOCOL")
	var got []string
	for {
		rec, err := in.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		var changed *trapout.FormatChangedError
		if errors.As(err, &changed) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		tmpl, err := in.Template()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("proto %d vlan %d icmp %#x",
			tmpl.Uint8(rec, tmpl.Index("PROTOCOL")), tmpl.Uint16(rec, tmpl.Index("VLAN_ID")),
			tmpl.Uint16(rec, tmpl.Index("L4_ICMP_TYPE_CODE"))))
	}
	sort.Strings(got)
	want := []string{"proto 1 vlan 20 icmp 0x800", "proto 17 vlan 10 icmp 0x0"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("records %v, want %v", got, want)
	}
}

// TestIPFIXOutput sends the flows of a trace over IPFIX/UDP to a socket of the test,
// stores the messages as an IPFIX file and has libfixbuf's ipfixDump, an independent
// decoder, count the data records: one per flow of the CSV output of the same run.
func TestIPFIXOutput(t *testing.T) {
	if _, err := exec.LookPath("ipfixDump"); err != nil {
		t.Skip("ipfixDump (libfixbuf-tools) is not installed; hack/setup-test-host.sh " +
			"installs it")
	}
	addr, received := udpCollector(t)
	csvFile := filepath.Join(t.TempDir(), "f.csv")
	_, stderr, code := flowprobe(t, "-r", "../../../testdata/pcap/tcpreplay-test.pcap",
		"-x", addr, "-u", "-o", "csv:"+csvFile)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	stream := received()

	data, err := os.ReadFile(csvFile)
	if err != nil {
		t.Fatal(err)
	}
	flows := len(readCSV(t, string(data)))
	ipfixFile := filepath.Join(t.TempDir(), "flows.ipfix")
	if err := os.WriteFile(ipfixFile, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ipfixDump", "-i", ipfixFile, "-s").CombinedOutput()
	if err != nil {
		t.Fatalf("ipfixDump: %v\n%s", err, out)
	}
	want := fmt.Sprintf("%d Data Records", flows)
	if !strings.Contains(string(out), want) || flows == 0 ||
		strings.Contains(strings.ToLower(string(out)), "warning") {
		t.Fatalf("ipfixDump says:\n%s\nwant %q and no warnings", out, want)
	}
}

// udpCollector listens on a UDP port of 127.0.0.1 and returns its address and a
// function that waits for the last datagrams and returns all of them, joined.
func udpCollector(t *testing.T) (string, func() []byte) {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var stream bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			stream.Write(buf[:n])
		}
	}()
	return conn.LocalAddr().String(), func() []byte {
		time.Sleep(200 * time.Millisecond) // let the last datagrams arrive
		conn.Close()
		<-done
		return stream.Bytes()
	}
}

// TestIPFIXOutputCarriesVLANAndTunnel runs a trace of VLAN-tagged and
// VXLAN-encapsulated flows with --decap and has ipfixDump read the VLAN ID and the
// VXLAN segment of each flow from the IPFIX records.
func TestIPFIXOutputCarriesVLANAndTunnel(t *testing.T) {
	if _, err := exec.LookPath("ipfixDump"); err != nil {
		t.Skip("ipfixDump (libfixbuf-tools) is not installed; hack/setup-test-host.sh " +
			"installs it")
	}
	trace := writeTrace(t, []pk{
		{at: 0, src: cli, dst: srv, proto: udp, vlan: 10},
		{at: 0.1, src: cli, dst: srv, proto: udp, vni: 100},
		{at: 0.2, src: srv, dst: cli, proto: udp, vni: 100},
		{at: 0.3, src: cli, dst: srv, proto: udp, vni: 200},
	})
	addr, received := udpCollector(t)
	_, stderr, code := flowprobe(t, "-r", trace, "--decap", "-x", addr, "-u")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ipfixFile := filepath.Join(t.TempDir(), "flows.ipfix")
	if err := os.WriteFile(ipfixFile, received(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ipfixDump", "-i", ipfixFile).CombinedOutput()
	if err != nil {
		t.Fatalf("ipfixDump: %v\n%s", err, out)
	}
	// Each record's VLAN ID, and its VXLAN segment (type 0x01, the VNI) if any.
	type seen struct{ vlan, segment string }
	var records []seen
	for _, line := range strings.Split(string(out), "\n") {
		name, value, ok := strings.Cut(line, " : ")
		if !ok {
			continue
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case strings.HasSuffix(name, " flowEndReason"):
			records = append(records, seen{})
		case len(records) == 0:
		case strings.HasSuffix(name, " vlanId"):
			records[len(records)-1].vlan = value
		case strings.HasSuffix(name, " layer2SegmentId"):
			records[len(records)-1].segment = value
		}
	}
	sort.Slice(records, func(i, j int) bool {
		return records[i].vlan+"/"+records[i].segment < records[j].vlan+"/"+records[j].segment
	})
	want := []seen{{"0", fmt.Sprint(1<<56 | 100)}, {"0", fmt.Sprint(1<<56 | 200)},
		{"10", ""}}
	if !reflect.DeepEqual(records, want) ||
		strings.Contains(strings.ToLower(string(out)), "warning") {
		t.Fatalf("ipfixDump read records %+v, want %+v, and no warnings:\n%s", records,
			want, out)
	}
}

// TestIPFIXCollectorAway exports over TCP to a port where nobody listens: the run
// completes, the records are reported lost with their count, and the exit code says
// so.
func TestIPFIXCollectorAway(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // now nobody listens there

	_, stderr, code := flowprobe(t, "-r", "../../../testdata/pcap/ipfixprobe-dns.pcap",
		"-x", addr, "-v")
	if code != exitLoss {
		t.Fatalf("exit %d, want %d:\n%s", code, exitLoss, stderr)
	}
	if !strings.Contains(stderr, "flow records were not delivered") ||
		strings.Contains(stderr, `"failed":0,"dropped":0`) {
		t.Fatalf("the loss is not logged with its count:\n%s", stderr)
	}
}
