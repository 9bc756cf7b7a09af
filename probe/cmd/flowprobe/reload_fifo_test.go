package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/flowprobe/flowprobe/exporter/ipfix"
	"github.com/flowprobe/flowprobe/trapout"
	"github.com/flowprobe/flowprobe/trapout/flowexport"
	"github.com/flowprobe/flowprobe/trapout/ifc"
)

// timedPacket is one packet of a generated trace.
type timedPacket struct {
	at    float64 // seconds after traceStart
	sport uint16
}

// flowPackets returns the packets of n flows from source port first on, one flow
// starting every step seconds from start, each with a packet at every offset.
func flowPackets(first, n int, start, step float64, offsets ...float64) []timedPacket {
	var out []timedPacket
	for i := range n {
		for _, off := range offsets {
			out = append(out, timedPacket{at: start + float64(i)*step + off,
				sport: uint16(first + i)})
		}
	}
	slices.SortStableFunc(out, func(a, b timedPacket) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	return out
}

func writePackets(t *testing.T, w *pcapgo.Writer, packets []timedPacket) {
	t.Helper()
	for _, p := range packets {
		data := pk{src: "198.18.0.1:" + strconv.Itoa(int(p.sport)), dst: "198.18.0.2:53",
			proto: udp, payload: 10}.frame(t)
		ts := traceStart.Add(time.Duration(p.at * float64(time.Second)))
		ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
}

// logWatcher collects flowprobe's log lines and waits for words in them.
type logWatcher struct {
	lines chan string
	all   strings.Builder
}

func watchLog(r io.Reader) *logWatcher {
	l := &logWatcher{lines: make(chan string, 1024)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			l.lines <- sc.Text()
		}
		close(l.lines)
	}()
	return l
}

func (l *logWatcher) waitFor(t *testing.T, word string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				t.Fatalf("flowprobe ended its log before %q:\n%s", word, l.all.String())
			}
			l.all.WriteString(line + "\n")
			if strings.Contains(line, word) {
				return
			}
		case <-timeout:
			t.Fatalf("no %q in the log within 20 s:\n%s", word, l.all.String())
		}
	}
}

func waitForFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if st, err := os.Stat(path); err == nil && st.Size() > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still empty after 20 s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// scrapeValue fetches the metrics page and returns the value of the sample whose
// line starts with sample (name and labels).
func scrapeValue(t *testing.T, addr, sample string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no %s in the metrics", sample)
	return 0
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// fifoRun is flowprobe reading a trace from a FIFO that the test writes.
type fifoRun struct {
	cmd  *exec.Cmd
	log  *logWatcher
	pipe *os.File
	w    *pcapgo.Writer
}

// startOnFIFO starts flowprobe with args on the FIFO path, which -r or the
// configuration must name, and opens the FIFO for writing.
func startOnFIFO(t *testing.T, fifo string, args ...string) *fifoRun {
	t.Helper()
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	r := &fifoRun{cmd: cmd, log: watchLog(stderr)}

	// Opening the FIFO waits for flowprobe to open it too.
	r.pipe, err = os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.pipe.Close() })
	r.w = pcapgo.NewWriterNanos(r.pipe)
	if err := r.w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	r.log.waitFor(t, `"started"`)
	return r
}

// finish closes the FIFO, which ends the trace, and waits for flowprobe to exit.
func (r *fifoRun) finish(t *testing.T) {
	t.Helper()
	if err := r.pipe.Close(); err != nil {
		t.Fatal(err)
	}
	for line := range r.log.lines {
		r.log.all.WriteString(line + "\n")
	}
	if err := r.cmd.Wait(); err != nil {
		t.Fatalf("flowprobe: %v\n%s", err, r.log.all.String())
	}
}

func (r *fifoRun) reload(t *testing.T, want string) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	r.log.waitFor(t, want)
}

// TestReload feeds flowprobe a trace through a FIFO, so that it runs until the test
// closes it, and reloads the configuration half way: a broken file first, which must
// change nothing, then one with a new output and a shorter inactive timeout. Every
// flow must be exported exactly once, to the old output before the reload or to the
// new one after it, and the new timeout must apply to the flows that follow. The
// metrics endpoint is scraped before and after.
func TestReload(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "trace.pcap")
	outA, outB := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	conf := filepath.Join(dir, "flowprobe.yaml")
	writeConf := func(body string) {
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeConf(fmt.Sprintf("input: {trace: %s}\noutputs: {text: ['json:%s']}\n"+
		"cache: {inactive_timeout: 5s}\nlog: {level: info, format: json}\n", fifo, outA))
	addr := freeAddr(t)
	run := startOnFIFO(t, fifo, "--config", conf, "--metrics", addr)

	// Phase 1: flows of two packets 0.1 s apart, one starting every millisecond.
	const n1, n2 = 30000, 5000
	writePackets(t, run.w, flowPackets(1000, n1, 0, 0.001, 0, 0.1))
	waitForFile(t, outA)
	source := `flowprobe_source_packets_total{source="pcap"}`
	before := scrapeValue(t, addr, source)
	if before == 0 || scrapeValue(t, addr,
		`flowprobe_output_records_total{output="text:json:`+outA+`"}`) == 0 {
		t.Errorf("metrics show no packets or records after phase 1")
	}

	writeConf("outputs: {text: [json:" + outB + "]\n") // not valid YAML
	run.reload(t, "configuration refused")
	writeConf(fmt.Sprintf("input: {trace: %s}\noutputs: {text: ['json:%s']}\n"+
		"cache: {inactive_timeout: 2s}\nlog: {level: info, format: json}\n", fifo, outB))
	run.reload(t, "configuration applied")

	// Phase 2, 40 s of packet time later: three packets, the last 3 s after the
	// second, which the new 2 s inactive timeout ends as a flow of its own.
	const start2 = 70.0
	writePackets(t, run.w, flowPackets(1000+n1, n2, start2, 0.002, 0, 0.1, 3.1))
	waitForFile(t, outB)
	if after := scrapeValue(t, addr, source); after <= before {
		t.Errorf("source packets went from %v to %v over phase 2", before, after)
	}
	run.finish(t)

	a, b := readJSON(t, outA), readJSON(t, outB)
	if len(a) == 0 || len(b) == 0 {
		t.Fatalf("%d records before the reload, %d after", len(a), len(b))
	}
	packets := map[uint64]uint64{} // by source port
	records := map[uint64]int{}
	for i, r := range append(a, b...) {
		port := r.uint(t, "SRC_PORT")
		if i < len(a) && port >= 1000+n1 {
			t.Errorf("the old output got a flow of phase 2: %v", r)
		}
		packets[port] += r.uint(t, "PACKETS") + r.uint(t, "PACKETS_REV")
		records[port]++
	}
	for port := uint64(1000); port < 1000+n1+n2; port++ {
		want, wantRecords := uint64(2), 1
		if port >= 1000+n1 {
			want = 3
			// The new timeout reaches the cache at its next tick, within a second
			// of packet time; flows from then on must split.
			if float64(port-1000-n1)*0.002 > 2 {
				wantRecords = 2
			}
		}
		if packets[port] != want || wantRecords == 2 && records[port] != 2 ||
			wantRecords == 1 && port < 1000+n1 && records[port] != 1 {
			t.Fatalf("flow from port %d: %d packets in %d records, want %d in %d",
				port, packets[port], records[port], want, wantRecords)
		}
	}
	if len(packets) != n1+n2 {
		t.Errorf("%d flows exported, want %d", len(packets), n1+n2)
	}
}

// TestReloadKeepsTRAPClients reloads a configuration that adds an output next to an
// unchanged TRAP socket output, and checks that the NEMEA client connected before
// the reload keeps its connection and receives every flow, then the end of data. The
// reloaded file also names another input, plugins and no end of data, which all wait
// for a restart: the TRAP output must go on as it runs, with its template, its end of
// data and its wait for clients as an output of a trace.
func TestReloadKeepsTRAPClients(t *testing.T) {
	dir := t.TempDir()
	name := fmt.Sprintf("flowprobe-reload-%d", os.Getpid())
	t.Cleanup(func() { os.Remove(ifc.SocketPath(name)) })
	conf := filepath.Join(dir, "flowprobe.yaml")
	fifo := filepath.Join(dir, "trace.pcap")
	base := "outputs:\n  trap: [u:" + name + "]\n"
	if err := os.WriteFile(conf, []byte("input: {trace: "+fifo+"}\n"+base), 0o644); err != nil {
		t.Fatal(err)
	}
	run := startOnFIFO(t, fifo, "--config", conf, "-v")

	client, err := trapout.Open("u:"+name, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	received := make(chan error, 1)
	var records int
	var formats []string
	go func() {
		in := client.Input(0)
		for {
			_, err := in.Recv()
			var changed *trapout.FormatChangedError
			switch {
			case errors.As(err, &changed):
				formats = append(formats, changed.Template)
			case errors.Is(err, io.EOF):
				received <- nil
				return
			case err != nil:
				received <- err
				return
			default:
				records++
			}
		}
	}()

	const n = 2000
	writePackets(t, run.w, flowPackets(1000, n, 0, 0.01, 0, 0.1))
	csv := filepath.Join(dir, "f.csv")
	next := "input: {interface: lo}\n" + base + "  text: [csv:" + csv + "]\n" +
		"  trap_plugins: [vlan]\n  trap_end_of_data: false\n"
	if err := os.WriteFile(conf, []byte(next), 0o644); err != nil {
		t.Fatal(err)
	}
	run.reload(t, "configuration applied")
	writePackets(t, run.w, flowPackets(1000+n, n, 40, 0.01, 0, 0.1))
	run.finish(t)

	select {
	case err := <-received:
		if err != nil {
			t.Fatalf("the TRAP client lost its stream: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no end of data within 10 s")
	}
	if records != 2*n {
		t.Errorf("the TRAP client got %d records, want %d", records, 2*n)
	}
	if len(formats) != 1 || formats[0] != flowexport.Template {
		t.Errorf("the TRAP client saw the formats %q, want the basic template alone",
			formats)
	}
	for _, key := range []string{"outputs.trap_plugins", "outputs.trap_end_of_data"} {
		if !strings.Contains(run.log.all.String(), key) {
			t.Errorf("the reload did not say that %s waits for a restart", key)
		}
	}
	data, err := os.ReadFile(csv)
	if err != nil || len(readCSV(t, string(data))) == 0 {
		t.Errorf("the output added by the reload wrote nothing (%v)", err)
	}
}

// TestReloadKeepsTunnelTemplates starts with decapsulation on and an IPFIX output, then
// reloads a file that turns decapsulation off, which waits for a restart, and changes
// the IPFIX time elements, which reopens the output at once. The parser still
// decapsulates, so the reopened output must still send VXLAN flows in the VXLAN
// template (260) with their segment, not in the plain one.
func TestReloadKeepsTunnelTemplates(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	col := serveTCP(ln)
	defer col.stop()
	fifo := filepath.Join(dir, "trace.pcap")
	conf := filepath.Join(dir, "flowprobe.yaml")
	writeConf := func(decap, ms bool) {
		body := fmt.Sprintf("input: {trace: %s}\noutputs: {ipfix: ['%s'], "+
			"ipfix_milliseconds: %t}\ncache: {decapsulate: %t}\n"+
			"log: {level: info, format: json}\n", fifo, ln.Addr(), ms, decap)
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeConf(true, false)
	run := startOnFIFO(t, fifo, "--config", conf)
	writeFrames := func(at float64, vni uint32) {
		data := pk{src: cli, dst: srv, proto: udp, vni: vni}.frame(t)
		ts := traceStart.Add(time.Duration(at * float64(time.Second)))
		ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(data)}
		if err := run.w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	writeFrames(0, 100)
	writeConf(false, true)
	run.reload(t, "configuration applied")
	writeFrames(1, 200)
	run.finish(t)
	col.stop()

	col.mu.Lock()
	defer col.mu.Unlock()
	if col.sessions != 2 || len(col.faults) > 0 {
		t.Fatalf("%d IPFIX sessions (want 2: the output reopened), faults %v",
			col.sessions, col.faults)
	}
	if col.byTemplate[ipfix.TemplateIPv4VXLAN] != 2 || col.records != 2 {
		t.Fatalf("records by template %v, want both VXLAN flows in template %d",
			col.byTemplate, ipfix.TemplateIPv4VXLAN)
	}
}
