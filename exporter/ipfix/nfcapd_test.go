package ipfix

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// startNfcapd runs nfcapd on a free port of 127.0.0.1 writing into dir, and returns
// the port once nfcapd has bound it. The returned function stops nfcapd and returns
// its output. A port is free only until somebody binds it, so when another process
// takes it first and nfcapd exits for that, it starts again on another port.
func startNfcapd(t *testing.T, dir string) (int, func() string) {
	t.Helper()
	raiseRcvbuf(t)
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		stop, err := runNfcapd(t, port, dir)
		if err == nil {
			return port, stop
		}
		if !errors.Is(err, syscall.EADDRINUSE) || attempt == 3 {
			t.Fatalf("nfcapd on port %d: %v", port, err)
		}
	}
}

// runNfcapd starts nfcapd on 127.0.0.1:port and waits until the port shows in
// /proc/net/udp; waiting by binding the port ourselves could take it from nfcapd.
// An nfcapd that exits first because the port was taken gives an error that wraps
// syscall.EADDRINUSE.
func runNfcapd(t *testing.T, port int, dir string) (func() string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command("nfcapd", "-b", "127.0.0.1", "-p", strconv.Itoa(port), "-w", dir,
		"-B", "8388608")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nfcapd: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	stop := func() string {
		if stopped {
			return out.String()
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("nfcapd ignored SIGTERM for 10 s")
		}
		return out.String()
	}

	deadline := time.Now().Add(5 * time.Second)
	for !udpBound(t, port) {
		select {
		case err := <-done:
			stopped = true
			if strings.Contains(out.String(), "Address already in use") {
				return nil, fmt.Errorf("%w: %s", syscall.EADDRINUSE, out.String())
			}
			return nil, fmt.Errorf("nfcapd exited (%v): %s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("nfcapd did not bind port %d in 5 s: %s", port, out.String())
		}
	}
	t.Cleanup(func() { stop() })
	return stop, nil
}

// udpBound reports whether a UDP socket is bound to 127.0.0.1:port, from /proc/net/udp.
func udpBound(t *testing.T, port int) bool {
	t.Helper()
	table, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		t.Fatalf("read the UDP socket table: %v", err)
	}
	want := fmt.Sprintf("0100007F:%04X", port)
	for _, line := range strings.Split(string(table), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 1 && f[1] == want {
			return true
		}
	}
	return false
}

// waitUDPDrained waits until the receive queue of the UDP socket bound to
// 127.0.0.1:port is empty (as /proc/net/udp shows it), so that nfcapd has read
// every datagram before it is stopped.
func waitUDPDrained(t *testing.T, port int) {
	t.Helper()
	local := fmt.Sprintf("0100007F:%04X", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile("/proc/net/udp")
		if err != nil {
			time.Sleep(time.Second) // no procfs: give nfcapd time instead
			return
		}
		queued := ""
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) > 4 && f[1] == local {
				_, queued, _ = strings.Cut(f[4], ":")
			}
		}
		if q, err := strconv.ParseUint(queued, 16, 64); err == nil && q == 0 {
			time.Sleep(50 * time.Millisecond) // the last datagram read is being stored
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nfcapd left %s bytes unread on port %d for 10 s", queued, port)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// raiseRcvbuf lets nfcapd's -B take effect, as hack/setup-test-host.sh does.
func raiseRcvbuf(t *testing.T) {
	const path, want = "/proc/sys/net/core/rmem_max", 33554432
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	if v, _ := strconv.Atoi(strings.TrimSpace(string(b))); v >= want || os.Geteuid() != 0 {
		return
	}
	if err := os.WriteFile(path, []byte(strconv.Itoa(want)), 0o644); err != nil {
		t.Logf("raise %s: %v", path, err)
	}
}

// nfdumpRaw reads an nfcapd file with nfdump -o raw and returns one map of
// "name = value" lines per flow.
func nfdumpRaw(t *testing.T, file string) []map[string]string {
	t.Helper()
	out, _ := run(t, "nfdump", "-r", file, "-o", "raw")
	var flows []map[string]string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Flow Record:") {
			flows = append(flows, map[string]string{})
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || len(flows) == 0 {
			continue
		}
		flows[len(flows)-1][strings.TrimSpace(k)] = strings.Join(strings.Fields(v), " ")
	}
	return flows
}

// checkNfdumpFlow compares the fields nfdump keeps with the flow they came from.
// nfdump stores one TCP flags field per record and fills it from whichever of
// tcpControlBits and its reverse form comes last, so the flags are proven by tshark
// and ipfixDump instead.
func checkNfdumpFlow(t *testing.T, f map[string]string, r *flow.Record, withTimes bool) {
	t.Helper()
	mac := func(m [6]byte) string {
		return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
	}
	ms := func(ns int64) string {
		v := ns / 1e6
		return fmt.Sprintf("%d [%s]", v, time.UnixMilli(v).Local().Format("2006-01-02 15:04:05.000"))
	}
	want := map[string]string{
		"first":       ms(r.TimeFirst),
		"last":        ms(r.TimeLast),
		"in packets":  fmt.Sprint(r.Packets),
		"in bytes":    fmt.Sprint(r.Bytes),
		"out packets": fmt.Sprint(r.PacketsRev),
		"out bytes":   fmt.Sprint(r.BytesRev),
		"src addr":    r.SrcIP().String(),
		"dst addr":    r.DstIP().String(),
		"input":       fmt.Sprint(r.IfIndex),
		"direction":   fmt.Sprint(r.Direction),
		"in src mac":  mac(r.SrcMAC),
		"in dst mac":  mac(r.DstMAC),
		"src vlan":    fmt.Sprint(r.VLAN),
	}
	if !withTimes {
		delete(want, "first")
		delete(want, "last")
	}
	want["end reason"] = fmt.Sprintf("0x%02x", uint8(r.EndReason))
	if r.Protocol == 1 || r.Protocol == 58 {
		want["ICMP"] = fmt.Sprintf("%d.%d type.code", r.ICMPTypeCode>>8, r.ICMPTypeCode&0xff)
	} else {
		want["src port"] = fmt.Sprint(r.SrcPort)
		want["dst port"] = fmt.Sprint(r.DstPort)
	}
	for k, w := range want {
		got := f[k]
		if k == "end reason" {
			got, _, _ = strings.Cut(got, " ")
		}
		if proto, _, _ := strings.Cut(f["proto"], " "); proto != fmt.Sprint(r.Protocol) {
			t.Errorf("flow of %v: nfdump proto = %q, want %d", r.SrcIP(), f["proto"], r.Protocol)
			return
		}
		if got != w {
			t.Errorf("flow of %v: nfdump %q = %q, want %q", r.SrcIP(), k, got, w)
		}
	}
}

// TestNfcapdReceivesUDPExport sends a burst over UDP to nfcapd and reads it back
// with nfdump, tunnel templates included (nfdump keeps no tunnel ID). nfdump 1.7
// does not read flowStartMicroseconds, so it checks times only in the millisecond
// layout; it must still take the microsecond layout without a sequence error or a
// bad packet.
func TestNfcapdReceivesUDPExport(t *testing.T) {
	requireTool(t, "nfcapd")
	requireTool(t, "nfdump")
	for _, ms := range []bool{true, false} {
		t.Run(fmt.Sprintf("milliseconds=%v", ms), func(t *testing.T) {
			dir := t.TempDir()
			port, stop := startNfcapd(t, dir)

			records := sampleRecords(1000)
			e, err := New(Options{Address: fmt.Sprintf("127.0.0.1:%d", port), Milliseconds: ms,
				ObservationDomainID: 3, Tunnels: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Export(records); err != nil {
				t.Fatal(err)
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			waitUDPDrained(t, port)
			log := stop()

			if !strings.Contains(log, "Flows: 1000,") ||
				!strings.Contains(log, "Sequence Errors: 0, Bad Packets: 0") {
				t.Fatalf("nfcapd summary lacks 1000 flows, 0 sequence errors, 0 bad packets:\n%s",
					log)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "nfcapd.2*"))
			if len(files) != 1 {
				t.Fatalf("nfcapd wrote %v, want one file", files)
			}
			info, _ := run(t, "nfdump", "-r", files[0], "-I")
			if !strings.Contains(info, "Sequence failures: 0") {
				t.Errorf("nfdump -I reports sequence failures:\n%s", info)
			}

			flows := nfdumpRaw(t, files[0])
			if len(flows) != len(records) {
				t.Fatalf("nfdump read %d flows, want %d", len(flows), len(records))
			}
			for i := range records {
				checkNfdumpFlow(t, flows[i], &records[i], ms)
			}
		})
	}
}
