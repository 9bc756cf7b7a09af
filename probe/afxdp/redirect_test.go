package afxdp

import (
	"strings"
	"testing"
	"time"

	"github.com/asavie/xdp"
	"github.com/cilium/ebpf"

	"github.com/flowprobe/flowprobe/bpf/attach"
	"github.com/flowprobe/flowprobe/hack/testhost"
)

// TestCallerXSKMap plays the part of a caller with its own XDP program: the program
// and its XSKMAP are asavie/xdp's, attached by the test, and the source only fills
// the map.
func TestCallerXSKMap(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	prog, err := xdp.NewProgram(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prog.Close() })
	if err := prog.Queues.Put(uint32(0), uint32(1)); err != nil {
		t.Fatal(err)
	}
	var l *attach.Link
	err = h.Probe.Do(func() (err error) {
		l, err = attach.XDP(h.Probe.Link, prog.Program, attach.Options{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ours := testhost.XDPState(t, &h.Probe)

	s := openSource(t, &h.Probe, Options{XSKMap: prog.Sockets})
	if _, ok := s.AttachMode(); ok {
		t.Error("the source reports a program of its own")
	}

	const n = 200
	injectTestFrames(t, &h.Peer, n)
	cs := testhost.Collectors(1)
	testhost.Collect(t, s, cs, n, 5*time.Second)
	if got := cs[0].Count(); got != n {
		t.Errorf("received %d of %d frames through the caller's map", got, n)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if x := testhost.XDPState(t, &h.Probe); !x.Attached || x.ProgId != ours.ProgId {
		t.Errorf("Close disturbed the caller's program: %+v, want id %d", x, ours.ProgId)
	}
}

func TestCallerMapMustBeXSKMap(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 4,
		MaxEntries: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	err = h.Probe.Do(func() error {
		s, err := New(Options{Interface: h.Probe.Link, XSKMap: m})
		if err == nil {
			s.Close()
		}
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "not an XSKMap") {
		t.Fatalf("New with an array map: %v", err)
	}
}
