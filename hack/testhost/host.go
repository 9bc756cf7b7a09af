package testhost

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Options tunes a test host. The zero value gives a quiet 1500-byte veth pair.
type Options struct {
	// MTU of both veth ends; 0 keeps the kernel default of 1500.
	MTU int
	// IPv6 keeps IPv6 enabled on the veth ends. It is off by default because an IPv6
	// link sends router solicitations, MLD reports and DAD probes on its own, and
	// those unsolicited frames would disturb tests that count what they capture.
	IPv6 bool
}

// End is one side of the veth pair, living in its own network namespace.
type End struct {
	// Namespace is the name of the network namespace (under /var/run/netns).
	Namespace string
	// Link is the name of the veth device inside Namespace.
	Link string
	// IfIndex is the interface index of Link inside Namespace.
	IfIndex int
	// MAC is the hardware address of Link.
	MAC net.HardwareAddr
	// Addr is the IPv4 address of Link, with its /30 prefix, from 198.18.0.0/15.
	Addr netip.Prefix

	ns netns.NsHandle
}

// Host is a veth pair whose ends sit in two fresh network namespaces: the probe under
// test captures on Probe.Link and frames are injected on Peer.Link, or the other way
// round; traffic between the two addresses is routed over the pair.
type Host struct {
	Probe End
	Peer  End

	closed bool
}

// hostSeq numbers the hosts of this process so that their names stay unique.
var hostSeq atomic.Uint32

// New builds a test host for t and removes it when t ends. It fails t when the host
// cannot be built; call RequireRoot first to skip instead when not running as root.
func New(t testing.TB, opts Options) *Host {
	t.Helper()
	h, err := Setup(opts)
	if err != nil {
		t.Fatalf("testhost: %v", err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("testhost: %v", err)
		}
	})
	return h
}

// Setup builds a test host. The caller must call Close, also when a test fails; on
// error Setup has already removed whatever it created.
func Setup(opts Options) (*Host, error) {
	sweepStale()

	seq := hostSeq.Add(1)
	pid := os.Getpid()
	h := &Host{
		Probe: End{
			Namespace: fmt.Sprintf("%s%d-%d-probe", nsPrefix, pid, seq),
			Link:      fmt.Sprintf("fp%dp%d", pid, seq),
			Addr:      hostPrefix(seq, 1),
			ns:        netns.None(),
		},
		Peer: End{
			Namespace: fmt.Sprintf("%s%d-%d-peer", nsPrefix, pid, seq),
			Link:      fmt.Sprintf("fp%dq%d", pid, seq),
			Addr:      hostPrefix(seq, 2),
			ns:        netns.None(),
		},
	}
	if err := h.build(opts); err != nil {
		return nil, errors.Join(err, h.Close())
	}
	return h, nil
}

// hostPrefix gives host number i (1 or 2) of the seq-th /30 inside 198.18.0.0/15.
func hostPrefix(seq uint32, i int) netip.Prefix {
	base := uint32(198)<<24 | uint32(18)<<16
	n := base + (seq%(1<<15))*4 + uint32(i)
	a := netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	return netip.PrefixFrom(a, 30)
}

func (h *Host) build(opts Options) error {
	handles, err := newNamedNamespaces(h.Probe.Namespace, h.Peer.Namespace)
	if len(handles) > 0 {
		h.Probe.ns = handles[0]
	}
	if len(handles) > 1 {
		h.Peer.ns = handles[1]
	}
	if err != nil {
		return err
	}

	nl, err := netlink.NewHandleAt(h.Probe.ns)
	if err != nil {
		return fmt.Errorf("open netlink in %s: %w", h.Probe.Namespace, err)
	}
	defer nl.Close()
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: h.Probe.Link, MTU: opts.MTU},
		PeerName:      h.Peer.Link,
		PeerNamespace: netlink.NsFd(h.Peer.ns),
		PeerMTU:       uint32(opts.MTU),
	}
	if err := nl.LinkAdd(veth); err != nil {
		return fmt.Errorf("create veth pair %s/%s: %w", h.Probe.Link, h.Peer.Link, err)
	}

	for _, e := range []*End{&h.Probe, &h.Peer} {
		if err := e.configure(opts); err != nil {
			return err
		}
	}
	return nil
}

// configure disables IPv6 unless asked for, adds the address and brings the link and
// loopback up.
func (e *End) configure(opts Options) error {
	if !opts.IPv6 {
		path := "/proc/sys/net/ipv6/conf/" + e.Link + "/disable_ipv6"
		err := e.Do(func() error { return os.WriteFile(path, []byte("1"), 0) })
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("disable ipv6 on %s: %w", e.Link, err)
		}
	}

	nl, err := netlink.NewHandleAt(e.ns)
	if err != nil {
		return fmt.Errorf("open netlink in %s: %w", e.Namespace, err)
	}
	defer nl.Close()
	link, err := nl.LinkByName(e.Link)
	if err != nil {
		return fmt.Errorf("find %s in %s: %w", e.Link, e.Namespace, err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{
		IP:   e.Addr.Addr().AsSlice(),
		Mask: net.CIDRMask(e.Addr.Bits(), 32),
	}}
	if err := nl.AddrAdd(link, addr); err != nil {
		return fmt.Errorf("add %s to %s: %w", e.Addr, e.Link, err)
	}
	if err := nl.LinkSetUp(link); err != nil {
		return fmt.Errorf("bring %s up: %w", e.Link, err)
	}
	if lo, err := nl.LinkByName("lo"); err == nil {
		if err := nl.LinkSetUp(lo); err != nil {
			return fmt.Errorf("bring lo up in %s: %w", e.Namespace, err)
		}
	}
	e.IfIndex = link.Attrs().Index
	e.MAC = link.Attrs().HardwareAddr
	return nil
}

// Do runs fn with the calling goroutine's OS thread switched into the end's network
// namespace, so sockets fn opens belong to that namespace (and keep belonging to it
// when used from other goroutines later). Goroutines that fn starts do not inherit
// the namespace.
func (e *End) Do(fn func() error) error {
	if !e.ns.IsOpen() {
		return fmt.Errorf("network namespace %s is not open", e.Namespace)
	}
	return inNamespace(e.ns, fn)
}

// Close deletes the veth pair and both namespaces and reports what could not be
// removed. It may be called more than once and after a partial Setup.
func (h *Host) Close() error {
	if h.closed {
		return nil
	}
	h.closed = true

	var errs []error
	if h.Probe.ns.IsOpen() {
		// Deleting the link explicitly removes it at once, even while sockets opened
		// in the namespace still keep the namespace itself alive.
		if nl, err := netlink.NewHandleAt(h.Probe.ns); err == nil {
			if link, err := nl.LinkByName(h.Probe.Link); err == nil {
				if err := nl.LinkDel(link); err != nil {
					errs = append(errs, fmt.Errorf("delete %s: %w", h.Probe.Link, err))
				}
			}
			nl.Close()
		}
	}
	for _, e := range []*End{&h.Probe, &h.Peer} {
		if !e.ns.IsOpen() {
			continue
		}
		e.ns.Close()
		e.ns = netns.None()
		if err := netns.DeleteNamed(e.Namespace); err != nil {
			errs = append(errs, fmt.Errorf("delete network namespace %s: %w", e.Namespace, err))
		}
	}
	return errors.Join(errs...)
}
