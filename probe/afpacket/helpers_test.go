package afpacket

import (
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/capture"
)

// nobody is the end of the test frames that no namespace owns.
var nobody = testhost.Nowhere()

// testFrame builds the seq-th test frame from one end to another.
func testFrame(t testing.TB, from, to *testhost.End, sport, dport, vlan uint16,
	seq uint32) []byte {
	t.Helper()
	f, err := testhost.SeqFrame(from, to, sport, dport, vlan, seq)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// openSource opens a source on the probe end of h and closes it when t ends.
func openSource(t *testing.T, h *testhost.Host, opts Options) *Source {
	t.Helper()
	opts.Interface = h.Probe.Link
	return testhost.Open(t, &h.Probe, func() (*Source, error) { return New(opts) })
}

// injectAndCollectAll injects the frames from the peer end of h, runs s with one
// worker, and returns every frame it delivered, test frame or not; it fails t unless
// there are want of them.
func injectAndCollectAll(t *testing.T, h *testhost.Host, s *Source, frames [][]byte,
	want int) []capture.Frame {
	t.Helper()
	if err := h.Peer.Inject(frames...); err != nil {
		t.Fatal(err)
	}
	cs := testhost.Collectors(1)
	cs[0].KeepAll = true
	testhost.Collect(t, s, cs, want, 5*time.Second)
	if len(cs[0].All) != want {
		t.Fatalf("%d frames delivered, want %d", len(cs[0].All), want)
	}
	return cs[0].All
}
