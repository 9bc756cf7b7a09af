package afpacket

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/capture"
)

func TestReceivesEveryFrameOnce(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	s := openSource(t, h, Options{})
	if s.IfIndex() != uint32(h.Probe.IfIndex) || s.LinkType() != capture.LinkEthernet {
		t.Fatalf("ifindex %d link type %d, want %d and Ethernet", s.IfIndex(), s.LinkType(),
			h.Probe.IfIndex)
	}

	// Every fifth frame carries an 802.1Q tag and every seventh an 802.1ad one; the
	// kernel strips the outer tag and the source must put it back.
	const n = 2000
	sent := make([][]byte, n)
	for i := range sent {
		var vlan uint16
		if i%5 == 0 {
			vlan = uint16(100 + i%7)
		}
		sent[i] = testFrame(t, &h.Peer, nobody, 40000, 9000, vlan, uint32(i))
		if i%7 == 3 {
			sent[i] = withTag(sent[i], 0x88a8, 42)
		}
	}
	before := time.Now().UnixNano()
	if err := h.Peer.Inject(sent...); err != nil {
		t.Fatal(err)
	}
	after := time.Now().UnixNano()

	cs := testhost.Collectors(1)
	testhost.Collect(t, s, cs, n, 5*time.Second)
	testhost.ExpectEachOnce(t, cs[0].Frames, sent, testhost.FrameWant{
		IfIndex: uint32(h.Probe.IfIndex), LinkType: capture.LinkEthernet,
		NotBefore: before, NotAfter: after + int64(time.Second),
	})
	if cs[0].Others != 0 {
		t.Logf("%d frames other than test frames were seen", cs[0].Others)
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Dropped != 0 || st.Received != uint64(n+cs[0].Others) {
		t.Errorf("stats %+v, want %d received and none dropped", st, n+cs[0].Others)
	}
}

// withTag inserts a VLAN tag with the given TPID in front of a frame's EtherType.
func withTag(frame []byte, tpid, vid uint16) []byte {
	out := append([]byte(nil), frame[:12]...)
	out = append(out, byte(tpid>>8), byte(tpid), byte(vid>>8), byte(vid))
	return append(out, frame[12:]...)
}

func TestFanoutKeepsBiflowsTogether(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	s := openSource(t, h, Options{Workers: 2})
	if s.Workers() != 2 {
		t.Fatalf("Workers() = %d", s.Workers())
	}

	// 64 flows, each with 4 frames one way and 4 back. The source MAC and address
	// are the same on both directions' frames except swapped, as on a real link.
	const flows, perDir = 64, 4
	var frames [][]byte
	flowOf := map[uint32]int{}
	seq := uint32(0)
	for f := range flows {
		sport := uint16(20000 + f)
		for range perDir {
			frames = append(frames, testFrame(t, &h.Peer, nobody, sport, 53, 0, seq))
			flowOf[seq] = f
			seq++
			frames = append(frames, testFrame(t, nobody, &h.Peer, 53, sport, 0, seq))
			flowOf[seq] = f
			seq++
		}
	}
	if err := h.Peer.Inject(frames...); err != nil {
		t.Fatal(err)
	}

	cs := testhost.Collectors(2)
	testhost.Collect(t, s, cs, len(frames), 5*time.Second)
	workerOf := map[int]int{}
	total := 0
	for w, c := range cs {
		if len(c.Frames) == 0 {
			t.Errorf("worker %d got no frames: fanout is not spreading flows", w)
		}
		for _, f := range c.Frames {
			seq, _ := testhost.FrameSeq(f.Data)
			flow := flowOf[seq]
			if prev, ok := workerOf[flow]; ok && prev != w {
				t.Errorf("flow %d seen by workers %d and %d", flow, prev, w)
			}
			workerOf[flow] = w
			total++
		}
	}
	if total != len(frames) {
		t.Errorf("received %d frames, sent %d", total, len(frames))
	}
}

func TestFilter(t *testing.T) {
	testhost.RequireRoot(t)
	if _, err := findTcpdump(); err != nil {
		t.Skip(err)
	}
	h := testhost.New(t, testhost.Options{})
	s := openSource(t, h, Options{Filter: "udp dst port 7777", Snaplen: 60})

	var frames [][]byte
	for i := range 100 {
		dport := uint16(7777)
		if i%2 == 1 {
			dport = 8888
		}
		frames = append(frames, testFrame(t, &h.Peer, nobody, 1234, dport, 0, uint32(i)))
	}
	for _, f := range injectAndCollectAll(t, h, s, frames, 50) {
		seq, ok := testhost.FrameSeq(f.Data)
		if !ok || int(seq) >= len(frames) {
			t.Fatalf("unexpected frame % x", f.Data)
		}
		want := frames[seq]
		if !bytes.Equal(f.Data, want[:60]) || f.WireLen != len(want) {
			t.Fatalf("frame %d: %d bytes (wire %d), want the first 60 of %d", seq,
				len(f.Data), f.WireLen, len(want))
		}
		if dport := uint16(f.Data[36])<<8 | uint16(f.Data[37]); dport != 7777 {
			t.Errorf("frame to port %d passed the filter", dport)
		}
	}
}

// TestFilterSeesFramesUntagged shows the documented effect of the kernel removing
// VLAN tags before filters run: an expression without "vlan" matches tagged frames,
// which are then delivered with their tag back in place.
func TestFilterSeesFramesUntagged(t *testing.T) {
	testhost.RequireRoot(t)
	if _, err := findTcpdump(); err != nil {
		t.Skip(err)
	}
	h := testhost.New(t, testhost.Options{})
	s := openSource(t, h, Options{Filter: "udp dst port 7777"})
	tagged := testFrame(t, &h.Peer, nobody, 1, 7777, 42, 0)
	other := testFrame(t, &h.Peer, nobody, 1, 8888, 42, 1)
	if err := h.Peer.Inject(tagged, other); err != nil {
		t.Fatal(err)
	}
	cs := testhost.Collectors(1)
	testhost.Collect(t, s, cs, 2, time.Second)
	if len(cs[0].Frames) != 1 || !bytes.Equal(cs[0].Frames[0].Data, tagged) {
		t.Errorf("got %d frames, want only the tagged one to port 7777", len(cs[0].Frames))
	}
}

func TestFilterErrors(t *testing.T) {
	testhost.RequireRoot(t)
	if _, err := findTcpdump(); err != nil {
		t.Skip(err)
	}
	h := testhost.New(t, testhost.Options{})
	err := h.Probe.Do(func() error {
		s, err := New(Options{Interface: h.Probe.Link, Filter: "udp port banana"})
		if err == nil {
			s.Close()
		}
		return err
	})
	if err == nil || !strings.Contains(err.Error(), `"udp port banana"`) ||
		!strings.Contains(err.Error(), h.Probe.Link) {
		t.Errorf("want an error naming the interface and the expression, got %v", err)
	}
}

func TestSnaplenWithoutFilter(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	s := openSource(t, h, Options{Snaplen: 64})
	frame := testFrame(t, &h.Peer, nobody, 1, 2, 0, 0)
	frame = append(frame, bytes.Repeat([]byte{0xee}, 200)...)
	f := injectAndCollectAll(t, h, s, [][]byte{frame}, 1)[0]
	if !bytes.Equal(f.Data, frame[:64]) || f.WireLen != len(frame) {
		t.Errorf("got %d bytes of %d, want 64 of %d", len(f.Data), f.WireLen, len(frame))
	}
}

func TestTicksWhileIdle(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	s := openSource(t, h, Options{Workers: 2, TickInterval: 100 * time.Millisecond})
	cs := testhost.Collectors(2)

	var before, after unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &before)
	start := time.Now()
	// No frame comes, and nothing but the source may use CPU meanwhile.
	r := testhost.Start(s, testhost.Handlers(cs))
	time.Sleep(time.Second)
	r.Stop(t)
	elapsed := time.Since(start)
	unix.Getrusage(unix.RUSAGE_SELF, &after)

	// Ticks come every 100 ms; a loaded machine may delay one, but the contract
	// is at least one per second.
	for w, c := range cs {
		if want := int(elapsed / (200 * time.Millisecond)); len(c.Ticks) < want {
			t.Errorf("worker %d: %d ticks in %v, want at least %d", w, len(c.Ticks), elapsed,
				want)
		}
		for i := 1; i < len(c.Ticks); i++ {
			gap := time.Duration(c.Ticks[i] - c.Ticks[i-1])
			if gap < 100*time.Millisecond || gap > time.Second {
				t.Errorf("worker %d: tick %d came %v after the previous one", w, i, gap)
			}
		}
	}
	cpu := time.Duration(unix.TimevalToNsec(after.Utime) + unix.TimevalToNsec(after.Stime) -
		unix.TimevalToNsec(before.Utime) - unix.TimevalToNsec(before.Stime))
	t.Logf("CPU time while idle for %v with 2 workers: %v", elapsed, cpu)
	if cpu > elapsed/10 {
		t.Errorf("used %v of CPU while idle for %v", cpu, elapsed)
	}
}

func TestStatsCountDrops(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	// A two-block ring that nobody reads: it fills and the kernel drops the rest.
	s := openSource(t, h, Options{BlockSize: 4096, Blocks: 2})
	const n = 500
	var frames [][]byte
	for i := range n {
		frames = append(frames, testFrame(t, &h.Peer, nobody, 1, 2, 0, uint32(i)))
	}
	if err := h.Peer.Inject(frames...); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Dropped == 0 || st.Received+st.Dropped < n || st.FreezeQueue == 0 {
		t.Errorf("stats %+v after %d frames into a tiny ring", st, n)
	}
	// Counters keep their totals across reads.
	again, _ := s.Stats()
	if again.Received < st.Received || again.Dropped < st.Dropped {
		t.Errorf("stats went back from %+v to %+v", st, again)
	}
}

// openFiles counts this process's open file descriptors and the AF_PACKET ring
// mappings.
func openFiles(t *testing.T) (fds, maps int) {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	m, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries), strings.Count(string(m), "socket:") + strings.Count(string(m), "packet")
}

func TestCloseReleasesEverything(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	fds0, maps0 := openFiles(t)

	opts := Options{Interface: h.Probe.Link, Workers: 3, Promiscuous: true}
	var s *Source
	if err := h.Probe.Do(func() (err error) { s, err = New(opts); return }); err != nil {
		t.Fatal(err)
	}
	fds1, maps1 := openFiles(t)
	if fds1 <= fds0 || maps1 <= maps0 {
		t.Fatalf("open source holds no descriptors (%d→%d) or mappings (%d→%d)", fds0, fds1,
			maps0, maps1)
	}
	if !promiscuous(t, &h.Probe) {
		t.Error("interface not promiscuous while the source is open")
	}

	// Close while Run is busy stops Run first.
	r := testhost.Start(s, testhost.Handlers(testhost.Collectors(3)))
	time.Sleep(100 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Wait(t, 2*time.Second); err != nil {
		t.Errorf("Run after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Run(context.Background(), testhost.Handlers(testhost.Collectors(3))); err == nil {
		t.Error("Run after Close succeeded")
	}

	fds2, maps2 := openFiles(t)
	if fds2 != fds0 || maps2 != maps0 {
		t.Errorf("after Close: %d descriptors and %d mappings, %d and %d before New", fds2,
			maps2, fds0, maps0)
	}
	if promiscuous(t, &h.Probe) {
		t.Error("interface still promiscuous after Close")
	}
}

func promiscuous(t *testing.T, e *testhost.End) bool {
	t.Helper()
	var promisc bool
	err := e.Do(func() error {
		link, err := netlink.LinkByName(e.Link)
		if err != nil {
			return err
		}
		promisc = link.Attrs().Promisc > 0
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return promisc
}

func TestRunEndsWhenInterfaceIsRemoved(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	s := openSource(t, h, Options{})
	r := testhost.Start(s, testhost.Handlers(testhost.Collectors(1)))
	time.Sleep(50 * time.Millisecond)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Wait(t, 3*time.Second); err == nil || !strings.Contains(err.Error(), "removed") {
		t.Errorf("Run returned %v, want an error saying the interface was removed", err)
	}
}

func TestNewErrors(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"missing interface", Options{Interface: "nosuchif0"}, "nosuchif0"},
		{"odd block size", Options{Interface: h.Probe.Link, BlockSize: 5000}, "block size"},
		{"negative snaplen", Options{Interface: h.Probe.Link, Snaplen: -1}, "snaplen"},
		{"no interface", Options{}, "no interface"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := h.Probe.Do(func() error {
				s, err := New(c.opts)
				if err == nil {
					s.Close()
				}
				return err
			})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("New: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// closeOnFirst calls Close from another goroutine when it sees the first frame, and
// gives Close time to act before returning.
type closeOnFirst struct {
	s      *Source
	frames int
	closed chan error
}

func (c *closeOnFirst) HandleFrame(*capture.Frame) {
	c.frames++
	if c.frames == 1 {
		go func() { c.closed <- c.s.Close() }()
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *closeOnFirst) Tick(int64) {}

// TestCloseStopsBusyRun closes the source while its ring holds many full blocks: the
// worker never has to wait in poll, and must still stop after the block at hand.
func TestCloseStopsBusyRun(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	s := openSource(t, h, Options{BlockSize: 16384})
	const n = 3000
	frame := testFrame(t, &h.Peer, nobody, 1, 2, 0, 0)
	inj, err := h.Peer.NewInjector()
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := inj.Send(frame); err != nil {
			t.Fatal(err)
		}
	}
	inj.Close()
	time.Sleep(50 * time.Millisecond)

	c := &closeOnFirst{s: s, closed: make(chan error, 1)}
	if err := s.Run(context.Background(), []capture.Handler{c}); err != nil {
		t.Fatal(err)
	}
	if err := <-c.closed; err != nil {
		t.Fatal(err)
	}
	// A 16 KiB block holds about a hundred of these frames.
	if c.frames >= n/2 {
		t.Errorf("Run went on for %d of %d frames after Close", c.frames, n)
	}
}
