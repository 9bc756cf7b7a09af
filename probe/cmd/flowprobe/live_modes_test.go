package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// TestLiveModesExact runs flowprobe in each live mode that goes through XDP on a test
// host and injects 8 UDP flows of 1 to 8 packets, interleaved so that all are live at
// once. Each flow must come out in one record with the packets, IP bytes and MACs
// sent and times within the run. In the xdp modes the program's summary must also
// show how many packets took the AF_XDP sockets: the first 3 of each flow (fewer for
// shorter flows) with --xdp-first-packets 3, all with "all", none without.
func TestLiveModesExact(t *testing.T) {
	testhost.RequireRoot(t)
	const flows = 8
	cases := []struct {
		name string
		args []string
		// viaSockets is how many packets of a flow of n go through the sockets in
		// the xdp modes; nil for afxdp, which logs no xdp summary.
		viaSockets func(n int) int
	}{
		{"xdp", []string{"--mode", "xdp"}, func(int) int { return 0 }},
		{"afxdp", []string{"--mode", "afxdp"}, nil},
		{"xdp first 3", []string{"--mode", "xdp", "--xdp-first-packets", "3"},
			func(n int) int { return min(n, 3) }},
		{"xdp first all", []string{"--mode", "xdp", "--xdp-first-packets", "all"},
			func(n int) int { return n }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			host := testhost.New(t, testhost.Options{})
			run := startLive(t, host, tc.args...)
			start := time.Now()
			want := map[string][2]uint64{} // source port: packets, IP bytes
			for round := range flows {
				for f := round; f < flows; f++ {
					payload := make([]byte, 10*round+f)
					frame, err := testhost.UDP4Frame(&host.Peer, &host.Probe,
						uint16(30000+f), 9, 0, payload)
					if err != nil {
						t.Fatal(err)
					}
					if err := host.Peer.Inject(frame); err != nil {
						t.Fatal(err)
					}
					port := fmt.Sprint(30000 + f)
					w := want[port]
					want[port] = [2]uint64{w[0] + 1, w[1] + uint64(28+len(payload))}
				}
			}
			time.Sleep(200 * time.Millisecond)
			run.stop(t)
			end := time.Now()
			checkLiveRecords(t, host, run, want, start, end)
			if tc.viaSockets == nil {
				return
			}
			var sockets, total uint64
			for f := range flows {
				sockets += uint64(tc.viaSockets(f + 1))
				total += uint64(f + 1)
			}
			sum := run.summary(t)
			// With every frame redirected, whatever else reaches the link is too.
			all := sockets == total && sockets != 0
			if sum.Redirected < sockets || !all && sum.Redirected != sockets ||
				sum.Received != sum.Redirected || sum.Dropped != 0 || sum.NoSocket != 0 {
				t.Errorf("want %d frames through the sockets, got %+v", sockets, sum)
			}
			if all && sum.TablePackets != 0 {
				t.Errorf("%d packets in the kernel tables with every frame redirected",
					sum.TablePackets)
			}
		})
	}
}

// checkLiveRecords checks the exported UDP records against what was sent: one record
// per flow, packets and IP bytes exact, MACs, and times within the run (the kernel's
// coarse clock may put a last time up to a tick, at most 10 ms, early).
func checkLiveRecords(t *testing.T, host *testhost.Host, run *liveRun,
	want map[string][2]uint64, start, end time.Time) {
	t.Helper()
	const slack = 20 * time.Millisecond
	got := map[string][2]uint64{}
	for _, r := range readCSV(t, run.stdout.String()) {
		if r["PROTOCOL"] != "17" || r["DST_PORT"] != "9" {
			continue
		}
		port := r["SRC_PORT"]
		if _, dup := got[port]; dup {
			t.Errorf("flow from port %s exported in two records", port)
		}
		got[port] = [2]uint64{r.uint(t, "PACKETS"), r.uint(t, "BYTES")}
		if r["SRC_MAC"] != host.Peer.MAC.String() || r["DST_MAC"] != host.Probe.MAC.String() {
			t.Errorf("flow from port %s: MACs %s -> %s", port, r["SRC_MAC"], r["DST_MAC"])
		}
		first, err1 := time.Parse(time.RFC3339Nano, r["TIME_FIRST"])
		last, err2 := time.Parse(time.RFC3339Nano, r["TIME_LAST"])
		if err1 != nil || err2 != nil {
			t.Fatalf("flow from port %s: times %q %q", port, r["TIME_FIRST"], r["TIME_LAST"])
		}
		if first.Before(start.Add(-slack)) || last.After(end.Add(slack)) ||
			last.Before(first) {
			t.Errorf("flow from port %s: times %v .. %v outside the run %v .. %v", port,
				first, last, start, end)
		}
	}
	for port, w := range want {
		if got[port] != w {
			t.Errorf("flow from port %s: exported %v packets and bytes, sent %v", port,
				got[port], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("exported %d UDP flows, sent %d", len(got), len(want))
	}
}

func TestXDPFirstPacketsUsage(t *testing.T) {
	cases := []struct {
		args   []string
		stderr string
	}{
		{[]string{"-I", "fp-no-such-if", "--mode", "afpacket", "--xdp-first-packets", "3"},
			"--mode xdp only"},
		{[]string{"-I", "fp-no-such-if", "--mode", "xdp", "--xdp-first-packets", "x"},
			"number of packets"},
		{[]string{"-I", "fp-no-such-if", "--mode", "xdp", "--xdp-first-packets", "-1"},
			"number of packets"},
	}
	for _, tc := range cases {
		_, stderr, code := flowprobe(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr,
				exitUsage, tc.stderr)
		}
	}
}
