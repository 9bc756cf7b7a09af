package afpacket

import (
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// TestFanoutGroupZero joins two sockets to fanout group 0. The kernel hands out group
// ids from 0 up, so on a freshly booted host the first source gets group 0, and the
// second socket must join it rather than ask for a new group (which would give every
// worker every frame).
func TestFanoutGroupZero(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	o, err := Options{Interface: h.Probe.Link, Blocks: 4}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	var rings []*ring
	t.Cleanup(func() {
		for _, r := range rings {
			r.close()
		}
	})
	err = h.Probe.Do(func() error {
		for range 2 {
			r, err := openRing(o)
			if err != nil {
				return err
			}
			rings = append(rings, r)
			if err := r.bind(h.Probe.IfIndex); err != nil {
				return err
			}
			// A fresh namespace has no groups, so both name group 0 explicitly.
			if _, err := joinFanout(r.fd, 0, false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	var frames [][]byte
	for i := range 64 {
		frames = append(frames, testFrame(t, &h.Peer, nobody, uint16(3000+i), 53, 0,
			uint32(i)))
	}
	if err := h.Peer.Inject(frames...); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	var total uint64
	for i, r := range rings {
		st, err := r.foldStats()
		if err != nil {
			t.Fatal(err)
		}
		if st.Received == 0 {
			t.Errorf("socket %d received nothing", i)
		}
		total += st.Received
	}
	if total != uint64(len(frames)) {
		t.Errorf("the group received %d frames, %d were sent", total, len(frames))
	}
}
