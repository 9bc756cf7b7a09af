package afxdp

import (
	"bytes"
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
			cs := collectors(1)
			r := start(s, cs)
			waitFor(cs, n, 5*time.Second)
			r.stop(t)
			after := time.Now().UnixNano()

			got := make([]int, n)
			for _, f := range cs[0].frames {
				seq, _ := testhost.FrameSeq(f.Data)
				if seq >= n {
					t.Fatalf("unknown sequence number %d", seq)
				}
				got[seq]++
				if !bytes.Equal(f.Data, sent[seq]) {
					t.Errorf("frame %d:\n got % x\nwant % x", seq, f.Data, sent[seq])
				}
				if f.WireLen != len(sent[seq]) || f.IfIndex != uint32(h.Probe.IfIndex) ||
					f.LinkType != capture.LinkEthernet {
					t.Errorf("frame %d: wire length %d, ifindex %d, link type %d", seq,
						f.WireLen, f.IfIndex, f.LinkType)
				}
				if f.Timestamp < before || f.Timestamp > after {
					t.Errorf("frame %d: timestamp %d outside [%d, %d]", seq, f.Timestamp,
						before, after)
				}
			}
			for seq, c := range got {
				if c != 1 {
					t.Errorf("frame %d received %d times", seq, c)
				}
			}
			st, err := s.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if st.Received != uint64(n+cs[0].others) || st.Dropped != 0 ||
				st.RxRingFull != 0 || st.InvalidDescs != 0 {
				t.Errorf("stats %+v, want %d received and nothing lost", st, n+cs[0].others)
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
		cs := collectors(1)
		r := start(s, cs)
		waitFor(cs, n, 3*time.Second)
		r.stop(t)
		if cs[0].count() != n {
			t.Fatalf("round %d: received %d of %d frames", round, cs[0].count(), n)
		}
		for _, f := range cs[0].frames {
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
	running := collectors(1)
	r := start(s, running)
	for deadline := time.Now().Add(2 * time.Second); len(running[0].ticksSoFar()) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("Run did not tick within 2 s")
		}
		time.Sleep(time.Millisecond)
	}
	cs := collectors(1)
	err := s.Drain([]capture.Handler{cs[0]})
	if err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("Drain while Run runs: %v", err)
	}
	r.stop(t)

	const n = 1000
	sent := make([][]byte, n)
	for i := range sent {
		sent[i] = testFrame(t, &h.Peer, 40000, uint32(i))
	}
	if err := h.Peer.Inject(sent...); err != nil {
		t.Fatal(err)
	}
	// The receiving kernel may still be at work after Inject returned; Drain takes
	// what has arrived, so it is repeated until everything has.
	for deadline := time.Now().Add(3 * time.Second); cs[0].count() < n; {
		if err := s.Drain([]capture.Handler{cs[0]}); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("drained %d of %d frames", cs[0].count(), n)
		}
		time.Sleep(time.Millisecond)
	}
	seen := make([]int, n)
	for _, f := range cs[0].frames {
		seq, _ := testhost.FrameSeq(f.Data)
		seen[seq]++
	}
	for seq, c := range seen {
		if c != 1 {
			t.Fatalf("frame %d drained %d times", seq, c)
		}
	}
	if len(cs[0].ticks) != 0 {
		t.Errorf("Drain called Tick %d times", len(cs[0].ticks))
	}
}
