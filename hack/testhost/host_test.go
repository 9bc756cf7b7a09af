package testhost

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func TestHostPrefix(t *testing.T) {
	pool := netip.MustParsePrefix("198.18.0.0/15")
	seen := map[netip.Addr]bool{}
	for _, seq := range []uint32{0, 1, 2, 1000, 1<<15 - 1, 1 << 15, 1<<32 - 1} {
		a, b := hostPrefix(seq, 1), hostPrefix(seq, 2)
		if !pool.Contains(a.Addr()) || !pool.Contains(b.Addr()) {
			t.Errorf("seq %d: %v, %v outside %v", seq, a, b, pool)
		}
		if a.Masked() != b.Masked() {
			t.Errorf("seq %d: %v and %v are not in one /30", seq, a, b)
		}
		if a.Masked().Addr().Next() != a.Addr() || a.Addr().Next() != b.Addr() {
			t.Errorf("seq %d: %v, %v are not the two host addresses of a /30", seq, a, b)
		}
		if seq < 1<<15 && (seen[a.Addr()] || seen[b.Addr()]) {
			t.Errorf("seq %d: address reused", seq)
		}
		seen[a.Addr()], seen[b.Addr()] = true, true
	}
}

func ourNamespaces(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("/var/run/netns")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	prefix := fmt.Sprintf("%s%d-", nsPrefix, os.Getpid())
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestSetupAndClose(t *testing.T) {
	RequireRoot(t)
	h, err := Setup(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*End{&h.Probe, &h.Peer} {
		if e.IfIndex <= 0 || len(e.MAC) != 6 || len(e.Link) > 15 {
			t.Errorf("%s: ifindex %d, mac %v", e.Link, e.IfIndex, e.MAC)
		}
		if _, err := os.Stat("/var/run/netns/" + e.Namespace); err != nil {
			t.Errorf("namespace %s: %v", e.Namespace, err)
		}
		// The link is visible inside its namespace only, with its address.
		err := e.Do(func() error {
			ifi, err := net.InterfaceByName(e.Link)
			if err != nil {
				return err
			}
			if ifi.Flags&net.FlagUp == 0 {
				return fmt.Errorf("%s is down", e.Link)
			}
			addrs, err := ifi.Addrs()
			if err != nil {
				return err
			}
			if len(addrs) != 1 || addrs[0].String() != e.Addr.String() {
				return fmt.Errorf("%s has addresses %v, want %v", e.Link, addrs, e.Addr)
			}
			v6, err := os.ReadFile("/proc/sys/net/ipv6/conf/" + e.Link + "/disable_ipv6")
			if err != nil || string(v6) != "1\n" {
				return fmt.Errorf("ipv6 on %s not disabled: %q, %v", e.Link, v6, err)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		if _, err := net.InterfaceByName(e.Link); err == nil {
			t.Errorf("%s is visible in the test's own namespace", e.Link)
		}
	}

	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if left := ourNamespaces(t); len(left) != 0 {
		t.Errorf("namespaces left after Close: %v", left)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestSetupFailureCleansUp(t *testing.T) {
	RequireRoot(t)
	// A veth cannot take an MTU this large, so Setup fails after creating both namespaces.
	h, err := Setup(Options{MTU: 1 << 20})
	if err == nil {
		h.Close()
		t.Fatal("Setup with an impossible MTU succeeded")
	}
	if !strings.Contains(err.Error(), "create veth pair") {
		t.Errorf("Setup failed before creating the namespaces: %v", err)
	}
	if left := ourNamespaces(t); len(left) != 0 {
		t.Errorf("namespaces left after a failed Setup: %v", left)
	}
}

func TestSweepStale(t *testing.T) {
	RequireRoot(t)
	// Find a pid that no process has, as a killed test binary would leave behind.
	pid := 4194000
	for ; pid > 1; pid-- {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			break
		}
	}
	name := fmt.Sprintf("%s%d-1-probe", nsPrefix, pid)
	if _, err := newNamedNamespaces(name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = netns.DeleteNamed(name) })

	New(t, Options{})
	if _, err := os.Stat("/var/run/netns/" + name); !os.IsNotExist(err) {
		t.Errorf("stale namespace %s survived Setup: %v", name, err)
	}
}

// openReceiver opens an AF_PACKET socket that receives every frame on e's link.
func openReceiver(t *testing.T, e *End) int {
	t.Helper()
	var fd int
	err := e.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: e.IfIndex}
		return unix.Bind(fd, sa)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	tv := unix.NsecToTimeval(int64(2 * time.Second))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return fd
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func TestInjectReachesOtherEnd(t *testing.T) {
	RequireRoot(t)
	h := New(t, Options{})
	fd := openReceiver(t, &h.Probe)

	payload := []byte("testhost-inject-marker")
	frame, err := UDP4Frame(&h.Peer, &h.Probe, 40000, 9999, 0, payload)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Peer.Inject(frame); err != nil {
		t.Fatal(err)
	}

	buf := make([]byte, 4096)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			t.Fatalf("injected frame not received: %v", err)
		}
		if bytes.Contains(buf[:n], payload) {
			if !bytes.Equal(buf[:n], frame) {
				t.Fatalf("received % x\nwant % x", buf[:n], frame)
			}
			return
		}
	}
}

func TestUDP4FrameIsDeliveredBySocketLayer(t *testing.T) {
	RequireRoot(t)
	h := New(t, Options{})
	var conn *net.UDPConn
	err := h.Probe.Do(func() error {
		var err error
		conn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: h.Probe.Addr.Addr().AsSlice(), Port: 9999})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	payload := []byte("hello through the stack")
	frame, err := UDP4Frame(&h.Peer, &h.Probe, 40000, 9999, 0, payload)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Peer.Inject(frame); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 1500)
	n, from, err := conn.ReadFromUDP(buf)
	if err != nil {
		t.Fatalf("the kernel did not accept the frame (bad checksum or address?): %v", err)
	}
	if string(buf[:n]) != string(payload) || from.Port != 40000 {
		t.Errorf("got %q from %v", buf[:n], from)
	}
}

func TestSendBatch(t *testing.T) {
	RequireRoot(t)
	h := New(t, Options{})
	fd := openReceiver(t, &h.Probe)

	// More frames than one sendmmsg call takes, each different.
	const n = 1500
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 16<<20); err != nil {
		t.Fatal(err)
	}
	frames := make([][]byte, n)
	for i := range frames {
		f, err := UDP4Frame(&h.Peer, &h.Probe, uint16(1+i), 9, 0, []byte("batch"))
		if err != nil {
			t.Fatal(err)
		}
		frames[i] = f
	}
	inj, err := h.Peer.NewInjector()
	if err != nil {
		t.Fatal(err)
	}
	defer inj.Close()
	if sent, err := inj.SendBatch(frames); err != nil || sent != n {
		t.Fatalf("sent %d of %d: %v", sent, n, err)
	}
	if _, err := inj.SendBatch([][]byte{frames[0], nil}); err == nil {
		t.Error("an empty frame was accepted")
	}

	// Frames arrive in order, each once. The probe's ICMP replies go out, and the
	// peer's ARP answers to them carry no payload.
	buf := make([]byte, 2048)
	next := 0
	for next < n {
		m, from, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			t.Fatalf("after %d frames: %v", next, err)
		}
		ll, ok := from.(*unix.SockaddrLinklayer)
		if ok && ll.Pkttype == unix.PACKET_OUTGOING || !bytes.Contains(buf[:m], []byte("batch")) {
			continue
		}
		if !bytes.Equal(buf[:m], frames[next]) {
			t.Fatalf("frame %d differs", next)
		}
		next++
	}
}
