package afxdp

import (
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// TestFrameSizeLimit checks the documented largest frame of a UMEM frame size in
// copy mode: the frame size less 256 bytes of kernel headroom. A longer frame is
// dropped and counted.
func TestFrameSizeLimit(t *testing.T) {
	testhost.RequireRoot(t)
	cases := []struct {
		frameSize, length int
		delivered         bool
	}{
		{2048, 1792, true},
		{2048, 1793, false},
		{4096, 1793, true},
		{4096, 3000, true},
	}
	for _, tc := range cases {
		h := testhost.New(t, testhost.Options{MTU: 3000})
		s := openSource(t, &h.Probe, Options{FrameSize: tc.frameSize})
		frame := testFrame(t, &h.Peer, 40000, 1)
		// Pad the UDP payload; nothing checks lengths before the redirect.
		frame = append(frame, make([]byte, tc.length-len(frame))...)
		if err := h.Peer.Inject(frame); err != nil {
			t.Fatal(err)
		}
		cs := testhost.Collectors(1)
		testhost.Collect(t, s, cs, 1, 500*time.Millisecond)
		st, err := s.Stats()
		if err != nil {
			t.Fatal(err)
		}
		got := cs[0].Count() == 1
		if got != tc.delivered || (!got && st.Dropped != 1) {
			t.Errorf("frame size %d, %d-byte frame: delivered %v, stats %+v; want %v",
				tc.frameSize, tc.length, got, st, tc.delivered)
		}
		if got && len(cs[0].Frames[0].Data) != tc.length {
			t.Errorf("frame size %d: %d bytes delivered of %d", tc.frameSize,
				len(cs[0].Frames[0].Data), tc.length)
		}
	}
}
