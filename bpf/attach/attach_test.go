package attach

import (
	"errors"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"

	"github.com/flowprobe/flowprobe/bpf/xdpflow"
	"github.com/flowprobe/flowprobe/hack/testhost"
)

func loadProgram(t *testing.T) *ebpf.Program {
	t.Helper()
	o, err := xdpflow.Load(xdpflow.Config{TableEntries: 64})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	t.Cleanup(func() { o.Close() })
	return o.Program
}

func progID(t *testing.T, p *ebpf.Program) uint32 {
	t.Helper()
	info, err := p.Info()
	if err != nil {
		t.Fatal(err)
	}
	id, _ := info.ID()
	return uint32(id)
}

func attach(end *testhost.End, p *ebpf.Program, opts Options) (*Link, error) {
	var l *Link
	err := end.Do(func() (err error) {
		l, err = XDP(end.Link, p, opts)
		return err
	})
	return l, err
}

func TestAttachModes(t *testing.T) {
	testhost.RequireRoot(t)
	cases := []struct {
		mode       Mode
		want       Mode
		attachMode uint32
	}{
		{ModeAuto, ModeNative, nl.XDP_ATTACHED_DRV},
		{ModeNative, ModeNative, nl.XDP_ATTACHED_DRV},
		{ModeGeneric, ModeGeneric, nl.XDP_ATTACHED_SKB},
	}
	for _, tc := range cases {
		t.Run(tc.mode.String(), func(t *testing.T) {
			h := testhost.New(t, testhost.Options{})
			p := loadProgram(t)
			l, err := attach(&h.Probe, p, Options{Mode: tc.mode})
			if err != nil {
				t.Fatal(err)
			}
			if l.Mode() != tc.want || l.IfIndex() != h.Probe.IfIndex {
				t.Errorf("attached in %s to ifindex %d, want %s on %d", l.Mode(),
					l.IfIndex(), tc.want, h.Probe.IfIndex)
			}
			xdp := testhost.XDPState(t, &h.Probe)
			if !xdp.Attached || xdp.ProgId != progID(t, p) || xdp.AttachMode != tc.attachMode {
				t.Errorf("netlink reports %+v, want program %d in mode %d", xdp,
					progID(t, p), tc.attachMode)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if xdp := testhost.XDPState(t, &h.Probe); xdp.Attached {
				t.Errorf("still attached after Close: %+v", xdp)
			}
		})
	}
}

func TestAttachRefusesOtherProgram(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	ours, foreign := loadProgram(t), loadProgram(t)

	// A program attached the way ip-link(8) does it.
	err := h.Probe.Do(func() error {
		l, err := netlink.LinkByName(h.Probe.Link)
		if err != nil {
			return err
		}
		return netlink.LinkSetXdpFdWithFlags(l, foreign.FD(), nl.XDP_FLAGS_SKB_MODE)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attach(&h.Probe, ours, Options{}); !errors.Is(err, ErrOtherProgram) {
		t.Fatalf("attach over a foreign program: %v, want ErrOtherProgram", err)
	}
	if xdp := testhost.XDPState(t, &h.Probe); xdp.ProgId != progID(t, foreign) {
		t.Fatalf("the refused attach disturbed the foreign program: %+v", xdp)
	}

	l, err := attach(&h.Probe, ours, Options{Force: true})
	if err != nil {
		t.Fatalf("forced attach: %v", err)
	}
	if xdp := testhost.XDPState(t, &h.Probe); xdp.ProgId != progID(t, ours) {
		t.Errorf("after a forced attach netlink reports %+v", xdp)
	}

	// A program held by a BPF link cannot be forced out.
	if _, err := attach(&h.Probe, foreign, Options{Force: true}); !errors.Is(err,
		ErrOtherProgram) {
		t.Errorf("forced attach over a bpf link: %v, want ErrOtherProgram", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestAttachUnknownInterface(t *testing.T) {
	testhost.RequireRoot(t)
	p := loadProgram(t)
	if _, err := XDP("fp-no-such-if", p, Options{}); err == nil {
		t.Fatal("attached to an interface that does not exist")
	}
}

// TestAttachFallsBackToGeneric uses a bridge interface, which has no native
// XDP, inside the test host's namespace (removed with it).
func TestAttachFallsBackToGeneric(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	p := loadProgram(t)
	var l *Link
	err := h.Probe.Do(func() error {
		d := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "fpbridge0"}}
		if err := netlink.LinkAdd(d); err != nil {
			return err
		}
		if _, err := XDP(d.Name, p, Options{Mode: ModeNative}); err == nil {
			t.Error("native mode attached to a bridge")
		}
		var err error
		l, err = XDP(d.Name, p, Options{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Mode() != ModeGeneric {
		t.Errorf("attached in %s, want the generic fallback", l.Mode())
	}
}

// TestAttachedFollowsTheInterface checks Attached before and after the interface is
// removed, and after Close.
func TestAttachedFollowsTheInterface(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	p := loadProgram(t)
	var l *Link
	err := h.Probe.Do(func() (err error) {
		l, err = XDP(h.Probe.Link, p, Options{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if ok, err := l.Attached(); !ok || err != nil {
		t.Fatalf("freshly attached program: attached %v, %v", ok, err)
	}
	err = h.Probe.Do(func() error {
		link, err := netlink.LinkByName(h.Probe.Link)
		if err != nil {
			return err
		}
		return netlink.LinkDel(link)
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := l.Attached(); ok || err != nil {
		t.Errorf("after the interface was removed: attached %v, %v", ok, err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("close after the interface was removed: %v", err)
	}
	if ok, err := l.Attached(); ok || err != nil {
		t.Errorf("after Close: attached %v, %v", ok, err)
	}
}
