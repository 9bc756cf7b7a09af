package afxdp

import (
	"testing"

	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/afpacket"
	"github.com/flowprobe/flowprobe/probe/capture"
)

// testFrame builds the seq-th test frame from one end to nowhere.
func testFrame(t testing.TB, from *testhost.End, sport uint16, seq uint32) []byte {
	t.Helper()
	f, err := testhost.SeqFrame(from, testhost.Nowhere(), sport, 9000, 0, seq)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// injectTestFrames sends test frames 0 to n-1 of source port 40000 from the end.
func injectTestFrames(t testing.TB, from *testhost.End, n int) {
	t.Helper()
	sent := make([][]byte, n)
	for i := range sent {
		sent[i] = testFrame(t, from, 40000, uint32(i))
	}
	if err := from.Inject(sent...); err != nil {
		t.Fatal(err)
	}
}

// openSource opens a source on the end's link and closes it when t ends.
func openSource(t *testing.T, e *testhost.End, opts Options) *Source {
	t.Helper()
	opts.Interface = e.Link
	return openSourceIn(t, e, opts)
}

// openSourceIn opens a source as opts say in the end's network namespace.
func openSourceIn(t *testing.T, e *testhost.End, opts Options) *Source {
	t.Helper()
	return testhost.Open(t, e, func() (*Source, error) { return New(opts) })
}

// openFunc opens a source on the end's link.
type openFunc func(e *testhost.End) (capture.Source, error)

// openAFPacket opens the AF_PACKET source that the benchmarks take as the reference.
func openAFPacket(e *testhost.End) (capture.Source, error) {
	return afpacket.New(afpacket.Options{Interface: e.Link})
}

// openAFXDP opens a source with the default options.
func openAFXDP(e *testhost.End) (capture.Source, error) {
	return New(Options{Interface: e.Link})
}

// liveHost builds a test host and opens a source on its probe end, and an injector
// and a test frame on its peer end; the host, source and injector go when t ends.
func liveHost(t testing.TB, open openFunc) (capture.Source, *testhost.Injector, []byte) {
	t.Helper()
	h := testhost.New(t, testhost.Options{})
	s := testhost.Open(t, &h.Probe, func() (capture.Source, error) { return open(&h.Probe) })
	inj := testhost.Open(t, &h.Peer, h.Peer.NewInjector)
	return s, inj, testFrame(t, &h.Peer, 40000, 0)
}
