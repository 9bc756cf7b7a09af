package main

import (
	"fmt"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// listenIn opens a listener for network inside the end's namespace.
func listenIn(t *testing.T, e *testhost.End, network, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	err := e.Do(func() (err error) {
		ln, err = net.Listen(network, addr)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestFaultIPFIXTCPOutage exports a live capture over TCP to a collector that is
// absent at the start, comes up, is killed between two exports and comes back. Every
// flow must reach a collector in a session that starts with its templates, with the
// packets the probe was sent.
//
// The collector is killed while idle: IPFIX over TCP has no acknowledgements, so a
// message written in the moment a collector dies is lost without trace, which the
// exporter's documentation states.
func TestFaultIPFIXTCPOutage(t *testing.T) {
	testhost.RequireRoot(t)
	host := testhost.New(t, testhost.Options{})
	ln := listenIn(t, &host.Probe, "tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // absent at the start

	csv := filepath.Join(t.TempDir(), "flows.csv")
	const metricsAddr = "127.0.0.1:9464"
	p := startProbe(t, host, "-f", "udp", "--inactive", "1s", "-x", addr,
		"-o", "csv:"+csv, "--metrics", metricsAddr)

	const batch = 500
	var collectors []*ipfixCollector
	received := func() (records, packets uint64) {
		for _, c := range collectors {
			r, pk, faults := c.counts()
			if len(faults) > 0 {
				t.Fatalf("collector: %v", faults)
			}
			records += r
			packets += pk
		}
		return records, packets
	}
	want := uint64(0)
	send := func(group uint16) {
		inject(t, host, flowFrames(t, host, group, batch))
		want += batch
	}
	up := func() {
		collectors = append(collectors, serveTCP(listenIn(t, &host.Probe, "tcp", addr)))
	}
	arrived := func() bool { r, _ := received(); return r == want }

	send(1)
	time.Sleep(2500 * time.Millisecond) // the flows end idle and wait for a connection
	up()
	// No new flow comes to trigger an export: the connection itself sends what waited.
	waitFor(t, "the flows exported before the collector came up", arrived)
	send(2)
	waitFor(t, "the flows exported on the first connection", arrived)

	collectors[0].stop()
	time.Sleep(200 * time.Millisecond)
	send(3)
	time.Sleep(2500 * time.Millisecond)
	up()
	waitFor(t, "the flows exported while the collector was down", arrived)
	send(4)
	waitFor(t, "the flows exported on the second connection", arrived)
	m := scrapeIn(t, &host.Probe, metricsAddr)
	connects := metricSum(t, m, "flowprobe_ipfix_connects_total")
	templates := metricSum(t, m, "flowprobe_ipfix_templates_sent_total")
	if connects != 2 || templates != 2 {
		t.Errorf("metrics: %d connections and %d template messages, want 2 and 2",
			connects, templates)
	}

	if code := p.stop(t, syscall.SIGTERM, 30*time.Second); code != exitOK {
		t.Fatalf("exit %d, want %d:\n%s", code, exitOK, p.log())
	}
	for _, c := range collectors {
		c.stop()
	}
	records, packets := received()
	csvRecords, csvPackets := csvTotals(t, csv)
	if records != want || packets != want || csvRecords != want || csvPackets != want {
		t.Fatalf("sent %d one-packet flows; collectors got %d records of %d packets, "+
			"the CSV output %d of %d", want, records, packets, csvRecords, csvPackets)
	}
	if s := collectors[1].sessions; s != 1 {
		t.Errorf("the second collector saw %d sessions, want 1", s)
	}
}

// TestFaultIPFIXBufferBound exports a trace of more flows than the TCP exporter
// buffers (65536 records) to a collector that comes up only once the trace has been
// read. The buffered records must arrive, the rest be dropped, and the drop must be
// counted in the log and the exit code, with nothing lost uncounted.
func TestFaultIPFIXBufferBound(t *testing.T) {
	const flows = 70000
	packets := make([]pk, flows)
	for i := range packets {
		packets[i] = pk{at: float64(i) / 1e5, proto: udp, payload: 10,
			src: fmt.Sprintf("198.18.%d.%d:%d", 1+i/60000, 1+i%250, 1024+i%60000),
			dst: "198.19.0.1:53"}
	}
	trace := writeTrace(t, packets)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := startProbe(t, nil, "-r", trace, "-x", addr, "-o", "csv:/dev/null")
	// The trace is read in well under a second; Close then waits up to 5 s.
	time.Sleep(1500 * time.Millisecond)
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := serveTCP(ln)
	code := p.wait(t, 30*time.Second)
	time.Sleep(200 * time.Millisecond) // let the collector read the last messages
	c.stop()

	records, got, faults := c.counts()
	if len(faults) > 0 {
		t.Fatalf("collector: %v", faults)
	}
	logs := p.log()
	lost := logCount(t, logs, "flow records were not delivered", "failed") +
		logCount(t, logs, "flow records were not delivered", "dropped")
	if code != exitLoss {
		t.Fatalf("exit %d, want %d:\n%s", code, exitLoss, logs)
	}
	if records+lost != flows || records > 65536 || records < 60000 || got != records {
		t.Fatalf("%d flows: the collector got %d records (%d packets), the log reports "+
			"%d lost; want all accounted for and about 65536 delivered", flows, records,
			got, lost)
	}
}

// TestFaultIPFIXUDPRefused exports a live capture over UDP to a port where nobody
// listens at first, so the kernel answers with ICMP port unreachable; a collector
// then appears. flowprobe must keep exporting, the records sent after that must
// arrive and decode with the templates the exporter sends again after a refusal, and
// every record sent into the void must be counted lost (exit code 4). On loopback
// each refusal comes back before the next datagram, so the count is exact here.
func TestFaultIPFIXUDPRefused(t *testing.T) {
	testhost.RequireRoot(t)
	host := testhost.New(t, testhost.Options{})
	var pc net.PacketConn
	listenUDP := func(addr string) {
		err := host.Probe.Do(func() (err error) {
			pc, err = net.ListenPacket("udp", addr)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	listenUDP("127.0.0.1:0")
	addr := pc.LocalAddr().String()
	pc.Close()

	csv := filepath.Join(t.TempDir(), "flows.csv")
	p := startProbe(t, host, "-f", "udp", "--inactive", "1s", "-x", addr, "-u",
		"-o", "csv:"+csv)
	const batch = 300
	for g := range uint16(3) { // several exports, each refused
		inject(t, host, flowFrames(t, host, 100+g, batch))
		time.Sleep(1500 * time.Millisecond)
	}
	listenUDP(addr)
	c := serveUDP(pc) // it learns the templates from what it receives
	inject(t, host, flowFrames(t, host, 200, batch))
	waitFor(t, "records after the collector came up", func() bool {
		r, _, _ := c.counts()
		return r >= batch
	})
	code := p.stop(t, syscall.SIGTERM, 30*time.Second)
	time.Sleep(200 * time.Millisecond)
	c.stop()

	records, packets, faults := c.counts()
	if len(faults) > 0 {
		t.Fatalf("collector: %v", faults)
	}
	logs := p.log()
	lost := logCount(t, logs, "flow records were not delivered", "failed") +
		logCount(t, logs, "flow records were not delivered", "dropped")
	csvRecords, _ := csvTotals(t, csv)
	if csvRecords != 4*batch || records != packets {
		t.Fatalf("CSV has %d records, want %d; collector %d records of %d packets",
			csvRecords, 4*batch, records, packets)
	}
	t.Logf("%d records exported: %d received, %d counted lost, exit %d", csvRecords,
		records, lost, code)
	if records+lost != csvRecords || records < batch {
		t.Fatalf("%d records exported: %d received, %d counted lost\n%s", csvRecords,
			records, lost, logs)
	}
	if code != exitLoss {
		t.Fatalf("exit %d, want %d:\n%s", code, exitLoss, logs)
	}
}
