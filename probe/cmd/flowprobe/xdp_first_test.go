package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// TestXDPFirstPackets runs flowprobe --mode xdp with --xdp-first-packets on a test
// host: 8 UDP flows of 1 to 8 packets must each be exported in one record with the
// packets and bytes sent, the first 3 packets of each (fewer for shorter flows) having
// gone through the AF_XDP sockets and the rest through the kernel tables.
func TestXDPFirstPackets(t *testing.T) {
	testhost.RequireRoot(t)
	cases := []struct {
		first    string
		perFlow  func(packets int) int // packets expected through the sockets
		noTables bool
	}{
		{"3", func(p int) int { return min(p, 3) }, false},
		{"all", func(p int) int { return p }, true},
	}
	for _, tc := range cases {
		t.Run(tc.first, func(t *testing.T) {
			host := testhost.New(t, testhost.Options{})
			run := startLive(t, host, "--mode", "xdp", "--xdp-first-packets", tc.first)
			want := map[string][2]uint64{} // source port: packets, bytes
			var redirected uint64
			for f := range 8 {
				port := fmt.Sprint(30000 + f)
				for p := range f + 1 {
					frame, err := testhost.UDP4Frame(&host.Peer, &host.Probe,
						uint16(30000+f), 9, 0, make([]byte, 10*p))
					if err != nil {
						t.Fatal(err)
					}
					if err := host.Peer.Inject(frame); err != nil {
						t.Fatal(err)
					}
					w := want[port]
					want[port] = [2]uint64{w[0] + 1, w[1] + uint64(28+10*p)}
				}
				redirected += uint64(tc.perFlow(f + 1))
			}
			time.Sleep(200 * time.Millisecond)
			run.stop(t)

			got := map[string][2]uint64{}
			for _, r := range readCSV(t, run.stdout.String()) {
				if r["PROTOCOL"] != "17" || r["DST_PORT"] != "9" {
					continue
				}
				if _, dup := got[r["SRC_PORT"]]; dup {
					t.Errorf("flow from port %s exported in two records", r["SRC_PORT"])
				}
				got[r["SRC_PORT"]] = [2]uint64{r.uint(t, "PACKETS"), r.uint(t, "BYTES")}
			}
			for port, w := range want {
				if got[port] != w {
					t.Errorf("flow from port %s: exported %v packets and bytes, sent %v",
						port, got[port], w)
				}
			}
			sum := run.summary(t)
			// With every frame redirected, whatever else reaches the link is too.
			if sum.Redirected < redirected || !tc.noTables && sum.Redirected != redirected ||
				sum.Received != sum.Redirected ||
				sum.Dropped != 0 || sum.NoSocket != 0 {
				t.Errorf("want %d frames through the sockets, got %+v",
					redirected, sum)
			}
			if tc.noTables && sum.TablePackets != 0 {
				t.Errorf("%d packets in the kernel tables with every frame redirected",
					sum.TablePackets)
			}
		})
	}
}

func TestXDPFirstPacketsUsage(t *testing.T) {
	cases := []struct {
		args   []string
		stderr string
	}{
		{[]string{"-I", "fp-no-such-if", "--xdp-first-packets", "3"}, "--mode xdp only"},
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
