package main

import (
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// TestLiveSIGTERM captures on a veth in a throw-away namespace, stops flowprobe with
// SIGTERM and checks that the open flow was exported with end reason forced.
func TestLiveSIGTERM(t *testing.T) {
	testhost.RequireRoot(t)
	for _, mode := range liveModes {
		t.Run(mode, func(t *testing.T) { liveSIGTERM(t, mode) })
	}
}

func liveSIGTERM(t *testing.T, mode string) {
	host := testhost.New(t, testhost.Options{})
	r := startLive(t, host, "--mode", mode)

	const packets = 5
	for i := range packets {
		frame, err := testhost.UDP4Frame(&host.Peer, &host.Probe, 5000, 6000, 0,
			make([]byte, 10+i))
		if err != nil {
			t.Fatal(err)
		}
		if err := host.Peer.Inject(frame); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond) // the ring hands over blocks every 10 ms
	r.stop(t)

	var found bool
	for _, r := range readCSV(t, r.stdout.String()) {
		if r["SRC_PORT"] != "5000" || r["DST_PORT"] != "6000" {
			continue
		}
		found = true
		if r["PACKETS"] != "5" || r["BYTES"] != "200" || r["END_REASON"] != "forced" ||
			r["SRC_IP"] != host.Peer.Addr.Addr().String() {
			t.Errorf("flow exported as %v", r)
		}
		if r["IF_INDEX"] == "0" {
			t.Errorf("live flow has no interface index: %v", r)
		}
	}
	if !found {
		t.Fatalf("the injected flow was not exported:\n%s", r.stdout.String())
	}
}
