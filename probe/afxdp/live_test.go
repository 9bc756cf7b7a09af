package afxdp

import (
	"strings"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/bpf/attach"
	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/capture"
)

func TestReceivesEveryFrameOnce(t *testing.T) {
	testhost.RequireRoot(t)
	for _, mode := range []attach.Mode{attach.ModeNative, attach.ModeGeneric} {
		t.Run(mode.String(), func(t *testing.T) {
			h := testhost.New(t, testhost.Options{})
			s := openSource(t, &h.Probe, Options{Attach: mode})
			if got, ok := s.AttachMode(); !ok || got != mode {
				t.Errorf("attach mode %v (%v), want %v", got, ok, mode)
			}
			// veth has no zero-copy support, so the zero-copy bind must have
			// fallen back.
			if s.BindMode() != BindCopy || s.Workers() != 1 ||
				s.IfIndex() != uint32(h.Probe.IfIndex) || s.LinkType() != capture.LinkEthernet {
				t.Fatalf("bind mode %v, %d workers, ifindex %d, link type %d", s.BindMode(),
					s.Workers(), s.IfIndex(), s.LinkType())
			}

			const n = 1500
			sent := make([][]byte, n)
			for i := range sent {
				sent[i] = testFrame(t, &h.Peer, uint16(40000+i%50), uint32(i))
			}
			before := time.Now().UnixNano()
			if err := h.Peer.Inject(sent...); err != nil {
				t.Fatal(err)
			}
			cs := testhost.Collectors(1)
			testhost.Collect(t, s, cs, n, 5*time.Second)
			after := time.Now().UnixNano()

			testhost.ExpectEachOnce(t, cs[0].Frames, sent, testhost.FrameWant{
				IfIndex: uint32(h.Probe.IfIndex), LinkType: capture.LinkEthernet,
				NotBefore: before, NotAfter: after,
			})
			st, err := s.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if st.Received != uint64(n+cs[0].Others) || st.Dropped != 0 ||
				st.RxRingFull != 0 || st.InvalidDescs != 0 {
				t.Errorf("stats %+v, want %d received and nothing lost", st, n+cs[0].Others)
			}
		})
	}
}

// TestRunAgain stops Run and starts it again: frames that came in between wait in
// the ring and are delivered by the second Run.
func TestRunAgain(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	s := openSource(t, &h.Probe, Options{})
	for round := range 3 {
		const n = 100
		sent := make([][]byte, n)
		for i := range sent {
			sent[i] = testFrame(t, &h.Peer, 40000, uint32(round*n+i))
		}
		if err := h.Peer.Inject(sent...); err != nil {
			t.Fatal(err)
		}
		cs := testhost.Collectors(1)
		testhost.Collect(t, s, cs, n, 3*time.Second)
		if cs[0].Count() != n {
			t.Fatalf("round %d: received %d of %d frames", round, cs[0].Count(), n)
		}
		for _, f := range cs[0].Frames {
			if seq, _ := testhost.FrameSeq(f.Data); int(seq)/n != round {
				t.Fatalf("round %d: frame %d of another round", round, seq)
			}
		}
	}
}

func TestDrainTakesEveryWaitingFrame(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	s := openSource(t, &h.Probe, Options{})

	// Drain refuses to share the sockets with a running Run.
	running := testhost.Collectors(1)
	r := testhost.Start(s, testhost.Handlers(running))
	for deadline := time.Now().Add(2 * time.Second); len(running[0].TicksSoFar()) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("Run did not tick within 2 s")
		}
		time.Sleep(time.Millisecond)
	}
	cs := testhost.Collectors(1)
	err := s.Drain([]capture.Handler{cs[0]})
	if err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("Drain while Run runs: %v", err)
	}
	r.Stop(t)

	const n = 1000
	injectTestFrames(t, &h.Peer, n)
	// The receiving kernel may still be at work after Inject returned; Drain takes
	// what has arrived, so it is repeated until everything has.
	for deadline := time.Now().Add(3 * time.Second); cs[0].Count() < n; {
		if err := s.Drain([]capture.Handler{cs[0]}); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("drained %d of %d frames", cs[0].Count(), n)
		}
		time.Sleep(time.Millisecond)
	}
	seen := make([]int, n)
	for _, f := range cs[0].Frames {
		seq, _ := testhost.FrameSeq(f.Data)
		seen[seq]++
	}
	for seq, c := range seen {
		if c != 1 {
			t.Fatalf("frame %d drained %d times", seq, c)
		}
	}
	if len(cs[0].Ticks) != 0 {
		t.Errorf("Drain called Tick %d times", len(cs[0].Ticks))
	}
}
