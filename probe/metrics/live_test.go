package metrics

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/afpacket"
	"github.com/flowprobe/flowprobe/probe/engine"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// TestLiveAFPacket captures frames injected on a veth with a real AF_PACKET source
// and engine, and checks that the scraped source and cache counters reach the number
// of frames sent while the capture runs, and the exported flow once it stops.
func TestLiveAFPacket(t *testing.T) {
	testhost.RequireRoot(t)
	host := testhost.New(t, testhost.Options{})
	var src *afpacket.Source
	if err := host.Probe.Do(func() error {
		var err error
		src, err = afpacket.New(afpacket.Options{Interface: host.Probe.Link})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	eng, err := engine.New(src, []flow.Exporter{discard{}}, engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := NewCollector(Options{Engine: eng, Source: AFPacket(src)})
	srv, err := Listen("127.0.0.1:0", NewRegistry(c))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url := "http://" + srv.Addr().String() + "/metrics"

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	stop := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	defer stop()

	const n = 500
	frames := make([][]byte, n)
	for i := range frames {
		frames[i], err = testhost.UDP4Frame(&host.Peer, &host.Probe, 5000, 6000, 0,
			make([]byte, 20))
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := host.Peer.Inject(frames...); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := scrape(t, url)
		if got[`flowprobe_source_packets_total{source="afpacket"}`] >= n &&
			got[`flowprobe_cache_packets_total`] >= n {
			if d := got[`flowprobe_source_drops_total{reason="ring_full",source="afpacket"}`]; d != 0 {
				t.Errorf("%v kernel drops of %d frames", d, n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("counters did not reach %d frames within 10 s: %v", n, got)
		}
		time.Sleep(100 * time.Millisecond)
	}

	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := scrape(t, url)[`flowprobe_flows_exported_total{end_reason="forced"}`]; got < 1 {
		t.Errorf("%v flows exported at the stop, want the injected one", got)
	}
}
