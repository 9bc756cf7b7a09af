package afxdp

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// queuePair is a second veth pair with two queues per end, added to a test host's
// namespaces because testhost builds single-queue pairs.
type queuePair struct {
	probe, peer testhost.End
}

func newQueuePair(t *testing.T, h *testhost.Host) *queuePair {
	t.Helper()
	q := &queuePair{
		probe: testhost.End{Link: fmt.Sprintf("xq%da", os.Getpid()), Addr: h.Probe.Addr},
		peer:  testhost.End{Link: fmt.Sprintf("xq%db", os.Getpid()), Addr: h.Peer.Addr},
	}
	peerNS, err := netns.GetFromName(h.Peer.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	defer peerNS.Close()
	err = h.Probe.Do(func() error {
		veth := &netlink.Veth{
			LinkAttrs:     netlink.LinkAttrs{Name: q.probe.Link, NumRxQueues: 2, NumTxQueues: 2},
			PeerName:      q.peer.Link,
			PeerNamespace: netlink.NsFd(peerNS),
		}
		return netlink.LinkAdd(veth)
	})
	if err != nil {
		t.Fatalf("create two-queue veth pair: %v", err)
	}
	// Deleting the namespaces with the host removes the pair too.
	for _, e := range []struct {
		in  *testhost.End
		end *testhost.End
	}{{&h.Probe, &q.probe}, {&h.Peer, &q.peer}} {
		err := e.in.Do(func() error {
			l, err := netlink.LinkByName(e.end.Link)
			if err != nil {
				return err
			}
			e.end.IfIndex, e.end.MAC = l.Attrs().Index, l.Attrs().HardwareAddr
			return netlink.LinkSetUp(l)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return q
}

func TestOneSocketPerQueue(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	q := newQueuePair(t, h)
	s := openSourceIn(t, &h.Probe, Options{Interface: q.probe.Link})
	err := h.Probe.Do(func() error {
		n, err := ethtoolRxQueues(q.probe.Link)
		if err == nil && n != 2 {
			err = fmt.Errorf("ethtool counts %d rx queues, want 2", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Workers() != 2 || fmt.Sprint(s.Queues()) != "[0 1]" {
		t.Fatalf("%d workers on queues %v, want one per queue of 2", s.Workers(), s.Queues())
	}

	// The sending veth picks its TX queue, and so the receiving end's RX queue, by a
	// hash of the flow, so 64 flows spread over both queues and each flow stays on one.
	const flows, perFlow = 64, 10
	var sent [][]byte
	for i := range flows * perFlow {
		sent = append(sent, testFrame(t, &q.peer, uint16(40000+i%flows), uint32(i)))
	}
	if err := injectOn(h, q.peer.IfIndex, sent); err != nil {
		t.Fatal(err)
	}
	cs := testhost.Collectors(2)
	testhost.Collect(t, s, cs, len(sent), 5*time.Second)

	seen := make([]int, len(sent))
	flowQueue := map[int]int{}
	for w, c := range cs {
		if c.Count() == 0 {
			t.Errorf("the worker of queue %d received nothing", w)
		}
		for _, f := range c.Frames {
			seq, _ := testhost.FrameSeq(f.Data)
			seen[seq]++
			flow := int(seq) % flows
			if prev, ok := flowQueue[flow]; ok && prev != w {
				t.Errorf("flow %d arrived on queues %d and %d", flow, prev, w)
			}
			flowQueue[flow] = w
		}
	}
	for seq, n := range seen {
		if n != 1 {
			t.Errorf("frame %d received %d times", seq, n)
		}
	}
}

func TestCallerMapTooSmallForQueues(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	q := newQueuePair(t, h)
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.XSKMap, KeySize: 4, ValueSize: 4,
		MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	err = h.Probe.Do(func() error {
		s, err := New(Options{Interface: q.probe.Link, XSKMap: m})
		if err == nil {
			s.Close()
		}
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "queue 1 is beyond its 1 entries") {
		t.Fatalf("New with a one-entry map on two queues: %v", err)
	}
}

// TestUnopenedQueuePasses opens queue 0 of two: frames of queue 1 must reach the
// kernel's stack, seen here by an AF_PACKET socket, instead of being dropped.
func TestUnopenedQueuePasses(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	q := newQueuePair(t, h)
	s := openSourceIn(t, &h.Probe, Options{Interface: q.probe.Link, Queues: []int{0}})

	var fd int
	err := h.Probe.Do(func() (err error) {
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC,
			int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL),
			Ifindex: q.probe.IfIndex})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)

	const flows = 64
	var sent [][]byte
	for i := range flows {
		sent = append(sent, testFrame(t, &q.peer, uint16(40000+i), uint32(i)))
	}
	if err := injectOn(h, q.peer.IfIndex, sent); err != nil {
		t.Fatal(err)
	}
	cs := testhost.Collectors(1)
	testhost.Collect(t, s, cs, flows, 500*time.Millisecond)

	passed := 0
	tv := unix.Timeval{Usec: 200000}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			break
		}
		if _, ok := testhost.FrameSeq(buf[:n]); ok {
			passed++
		}
	}
	if cs[0].Count() == 0 || passed == 0 || cs[0].Count()+passed != flows {
		t.Errorf("%d frames captured on queue 0 and %d passed to the stack, of %d sent",
			cs[0].Count(), passed, flows)
	}
}

// injectOn sends frames on the link with the given index in the peer namespace.
func injectOn(h *testhost.Host, ifindex int, frames [][]byte) error {
	return h.Peer.Do(func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifindex}); err != nil {
			return err
		}
		for _, f := range frames {
			if _, err := unix.Write(fd, f); err != nil {
				return err
			}
		}
		return nil
	})
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
