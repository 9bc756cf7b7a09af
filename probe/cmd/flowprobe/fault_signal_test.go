package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/vishvananda/netlink"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// stopRuns is how many times each stop under load is repeated: a lost batch at the
// stop depends on timing, so one lucky run proves little.
const stopRuns = 3

// finishedPackets returns the flow packets and frames flowprobe's summary reports.
func finishedPackets(t *testing.T, logs string) (flowPackets, frames uint64) {
	t.Helper()
	if len(logLines(t, logs, "finished")) != 1 {
		t.Fatalf("want one summary line:\n%s", logs)
	}
	return logCount(t, logs, "finished", "flow_packets"), logCount(t, logs, "finished", "frames")
}

// streamTrace writes the packets of a trace to path (a FIFO) again and again, moving
// their times on by the trace's length each time, until the reader goes away. It
// returns the number of packets written in full.
func streamTrace(path string, src string) (uint64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	r, err := pcapgo.NewReader(in)
	if err != nil {
		return 0, err
	}
	type packet struct {
		ci   gopacket.CaptureInfo
		data []byte
	}
	var pkts []packet
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		pkts = append(pkts, packet{ci, data})
	}
	span := pkts[len(pkts)-1].ci.Timestamp.Sub(pkts[0].ci.Timestamp) + time.Second

	out, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	bw := bufio.NewWriterSize(out, 1<<16)
	w := pcapgo.NewWriter(bw)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return 0, err
	}
	var written uint64
	for round := 0; ; round++ {
		shift := time.Duration(round) * span
		for _, p := range pkts {
			ci := p.ci
			ci.Timestamp = ci.Timestamp.Add(shift)
			if err := w.WritePacket(ci, p.data); err != nil {
				return written, nil // the reader stopped
			}
			written++
		}
	}
}

// TestFaultSIGTERMTrace stops a trace run with SIGTERM while flowprobe is busy
// reading, three times: every IP packet parsed must be in an exported flow.
func TestFaultSIGTERMTrace(t *testing.T) {
	for run := range stopRuns {
		t.Run(strconv.Itoa(run), func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, "trace.pcap")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			type result struct {
				n   uint64
				err error
			}
			streamed := make(chan result, 1)
			go func() {
				n, err := streamTrace(fifo, "../../../testdata/pcap/gopacket-cip.pcap")
				streamed <- result{n, err}
			}()
			csv := filepath.Join(dir, "flows.csv")
			p := startProbe(t, nil, "-r", fifo, "-o", "csv:"+csv)
			time.Sleep(500 * time.Millisecond)
			code := p.stop(t, syscall.SIGTERM, 30*time.Second)
			res := <-streamed
			if res.err != nil {
				t.Fatal(res.err)
			}
			records, packets := csvTotals(t, csv)
			flowPackets, frames := finishedPackets(t, p.log())
			t.Logf("exit %d: streamed %d packets, flowprobe read %d, %d records of %d "+
				"packets", code, res.n, frames, records, packets)
			if code != exitOK {
				t.Fatalf("exit %d, want %d:\n%s", code, exitOK, p.log())
			}
			// Every frame of this trace is an IP packet.
			if packets != flowPackets || packets != frames || frames > res.n || frames == 0 {
				t.Fatalf("read %d frames, parsed %d IP packets, exported %d in flows",
					frames, flowPackets, packets)
			}
		})
	}
}

// scrapeIn reads flowprobe's metrics at addr inside the end's namespace.
func scrapeIn(t *testing.T, e *testhost.End, addr string) string {
	t.Helper()
	var conn net.Conn
	if err := e.Do(func() (err error) {
		conn, err = net.Dial("tcp", addr)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n", addr)
	body, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// metricSum adds up every sample of the named metric.
func metricSum(t *testing.T, text, name string) uint64 {
	t.Helper()
	var sum uint64
	for line := range strings.Lines(text) {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		fields := strings.Fields(rest)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum += uint64(v)
	}
	return sum
}

// TestFaultSIGTERMLive stops a live AF_PACKET capture with SIGTERM the moment a flood
// of frames ends, while the ring and the pipeline still hold frames, three times.
// The frames sent must equal the packets in the exported flows plus the frames the
// kernel counted as dropped, and the packets parsed.
func TestFaultSIGTERMLive(t *testing.T) {
	testhost.RequireRoot(t)
	for run := range stopRuns {
		t.Run(strconv.Itoa(run), func(t *testing.T) { liveUnderLoad(t, false) })
	}
}

// TestFaultSIGHUPLive reloads a live capture's configuration with SIGHUP as a second
// flood starts, moving the CSV output to a new file and changing the inactive
// timeout, then stops it with SIGTERM, three times: the two files together hold
// every frame.
func TestFaultSIGHUPLive(t *testing.T) {
	testhost.RequireRoot(t)
	for run := range stopRuns {
		t.Run(strconv.Itoa(run), func(t *testing.T) { liveUnderLoad(t, true) })
	}
}

// liveConfig writes a configuration file with one CSV output and an inactive timeout.
func liveConfig(t *testing.T, path, csv, inactive string) {
	t.Helper()
	text := fmt.Sprintf("outputs:\n  text:\n    - csv:%s\ncache:\n  inactive_timeout: %s\n",
		csv, inactive)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// txDropped returns the frames the end's veth could not hand to the other end, which
// the kernel counts there when the receiving CPU's backlog is full.
func txDropped(t *testing.T, e *testhost.End) uint64 {
	t.Helper()
	var n uint64
	err := e.Do(func() error {
		link, err := netlink.LinkByName(e.Link)
		if err != nil {
			return err
		}
		if st := link.Attrs().Statistics; st != nil {
			n = st.TxDropped
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func liveUnderLoad(t *testing.T, reload bool) {
	host := testhost.New(t, testhost.Options{})
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.csv"), filepath.Join(dir, "second.csv")
	const metricsAddr = "127.0.0.1:9464" // inside the probe's own namespace
	args := []string{"-f", "udp", "--metrics", metricsAddr}
	cfg := filepath.Join(dir, "flowprobe.yaml")
	if reload {
		liveConfig(t, cfg, first, "1s")
		args = append(args, "--config", cfg)
	} else {
		args = append(args, "--inactive", "2s", "-o", "csv:"+first)
	}
	p := startProbe(t, host, args...)

	frames := flowFrames(t, host, 7, 20000)
	inj, err := host.Peer.NewInjector()
	if err != nil {
		t.Fatal(err)
	}
	defer inj.Close()
	// Batches of 256 stay below the kernel's backlog of 1000 frames; what a full
	// backlog drops anyway is counted on the sending veth.
	var sent uint64
	vethDropped := txDropped(t, &host.Peer)
	for round := range 10 {
		if reload && round == 5 {
			// Let the first flows end idle into the first file, then reload while
			// they start again.
			time.Sleep(2200 * time.Millisecond)
			liveConfig(t, cfg, second, "3s")
			if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < len(frames); i += 256 {
			n, err := inj.SendBatch(frames[i:min(i+256, len(frames))])
			sent += uint64(n)
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	time.Sleep(20 * time.Millisecond) // let the last backlog reach the ring
	drops := metricSum(t, scrapeIn(t, &host.Probe, metricsAddr), "flowprobe_source_drops_total")
	drops += txDropped(t, &host.Peer) - vethDropped
	code := p.stop(t, syscall.SIGTERM, 30*time.Second)

	records, packets := csvTotals(t, first)
	if reload {
		r2, p2 := csvTotals(t, second)
		if records == 0 || r2 == 0 {
			t.Fatalf("%d records before the reload, %d after; want both:\n%s", records,
				r2, p.log())
		}
		records, packets = records+r2, packets+p2
	}
	flowPackets, _ := finishedPackets(t, p.log())
	t.Logf("exit %d: sent %d frames, %d dropped in the kernel, %d records of %d packets",
		code, sent, drops, records, packets)
	if code != exitOK {
		t.Fatalf("exit %d, want %d:\n%s", code, exitOK, p.log())
	}
	if packets+drops != sent || packets != flowPackets {
		t.Fatalf("sent %d frames: %d in exported flows, %d dropped by the kernel, "+
			"%d parsed", sent, packets, drops, flowPackets)
	}
}
