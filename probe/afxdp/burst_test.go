package afxdp

import (
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// TestBurstThroughSmallRings sends a burst many times the size of the rings while
// the consumer keeps up: the rings wrap and the fill ring is refilled dozens of
// times, and every frame must arrive once with nothing dropped.
func TestBurstThroughSmallRings(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	const ring = 64
	s := openSource(t, &h.Probe, Options{Frames: 2 * ring, FillRingSize: ring,
		RxRingSize: ring})

	const n = 20000
	frames := make([][]byte, 256)
	for i := range frames {
		frames[i] = testFrame(t, &h.Peer, uint16(30000+i), 0)
	}
	inj, err := h.Peer.NewInjector()
	if err != nil {
		t.Fatal(err)
	}
	defer inj.Close()

	cs := testhost.Collectors(1)
	r := testhost.Start(s, testhost.Handlers(cs))
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; i < n; i++ {
		// Keeping up means the consumer is never more than half a ring behind.
		for i-cs[0].Count() > ring/2 {
			if time.Now().After(deadline) {
				t.Fatalf("consumer stuck at %d of %d frames sent", cs[0].Count(), i)
			}
			time.Sleep(10 * time.Microsecond)
		}
		f := frames[i%len(frames)]
		testhost.SetFrameSeq(f, uint32(i))
		if err := inj.Send(f); err != nil {
			t.Fatal(err)
		}
	}
	testhost.WaitFrames(cs, n, 5*time.Second)
	r.Stop(t)

	seen := make([]bool, n)
	for _, f := range cs[0].Frames {
		seq, _ := testhost.FrameSeq(f.Data)
		if seq >= n || seen[seq] {
			t.Fatalf("frame %d unknown or seen twice", seq)
		}
		seen[seq] = true
	}
	if got := cs[0].Count(); got != n {
		t.Errorf("received %d of %d frames", got, n)
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Dropped != 0 || st.RxRingFull != 0 || st.FillRingEmpty != 0 ||
		st.InvalidDescs != 0 {
		t.Errorf("losses in %+v", st)
	}
	t.Logf("%+v", st)
}

// TestDropsAreCounted overflows the rings while no worker runs, once with a fill
// ring smaller than the RX ring and once with an RX ring smaller than the fill
// ring: every frame must be either received or counted as undelivered, under the
// reason that applies.
func TestDropsAreCounted(t *testing.T) {
	testhost.RequireRoot(t)
	cases := []struct {
		name       string
		opts       Options
		fillEmpty  bool // frames lost for want of a UMEM frame
		rxRingFull bool // frames lost for want of room in the RX ring
	}{
		{"fill ring empty", Options{Frames: 128, FillRingSize: 64, RxRingSize: 64}, true,
			false},
		{"rx ring full", Options{Frames: 512, FillRingSize: 256, RxRingSize: 64}, false,
			true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := testhost.New(t, testhost.Options{})
			s := openSource(t, &h.Probe, tc.opts)
			const n = 500
			injectTestFrames(t, &h.Peer, n)
			cs := testhost.Collectors(1)
			testhost.Collect(t, s, cs, n, 500*time.Millisecond)

			st, err := s.Stats()
			if err != nil {
				t.Fatal(err)
			}
			got := uint64(cs[0].Count())
			if got < 64 || got > uint64(tc.opts.Frames) ||
				st.Received != got+uint64(cs[0].Others) {
				t.Errorf("received %d test frames, stats %+v", got, st)
			}
			if got+st.Undelivered() != n || (st.FillRingEmpty > 0) != tc.fillEmpty ||
				(st.RxRingFull > 0) != tc.rxRingFull {
				t.Errorf("%d received and %d undelivered of %d sent; stats %+v", got,
					st.Undelivered(), n, st)
			}
		})
	}
}
