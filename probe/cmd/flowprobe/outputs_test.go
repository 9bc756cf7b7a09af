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

// TestIPFIXOutput sends the flows of a trace over IPFIX/UDP to a socket of the test,
// stores the messages as an IPFIX file and has libfixbuf's ipfixDump, an independent
// decoder, count the data records: one per flow of the CSV output of the same run.
func TestIPFIXOutput(t *testing.T) {
	if _, err := exec.LookPath("ipfixDump"); err != nil {
		t.Skip("ipfixDump (libfixbuf-tools) is not installed; hack/setup-test-host.sh " +
			"installs it")
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var stream bytes.Buffer
	received := make(chan struct{})
	go func() {
		defer close(received)
		buf := make([]byte, 65535)
		for {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			stream.Write(buf[:n])
		}
	}()

	csvFile := filepath.Join(t.TempDir(), "f.csv")
	_, stderr, code := flowprobe(t, "-r", "../../../testdata/pcap/tcpreplay-test.pcap",
		"-x", conn.LocalAddr().String(), "-u", "-o", "csv:"+csvFile)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	time.Sleep(200 * time.Millisecond) // let the last datagrams arrive
	conn.Close()
	<-received

	data, err := os.ReadFile(csvFile)
	if err != nil {
		t.Fatal(err)
	}
	flows := len(readCSV(t, string(data)))
	ipfixFile := filepath.Join(t.TempDir(), "flows.ipfix")
	if err := os.WriteFile(ipfixFile, stream.Bytes(), 0o644); err != nil {
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
