package xdpflow

import (
	"testing"

	"github.com/cilium/ebpf"

	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/afxdp"
	"github.com/flowprobe/flowprobe/probe/flow"
)

const xdpRedirect = 4

// bindSocket opens an AF_XDP socket on queue 0 of a fresh veth and stores it in the
// XSKMAP xsks, so that bpf_redirect_map finds a socket for the frames that
// BPF_PROG_TEST_RUN feeds in (their RX queue is 0).
func bindSocket(t testing.TB, xsks *ebpf.Map) {
	t.Helper()
	h := testhost.New(t, testhost.Options{})
	var src *afxdp.Source
	err := h.Probe.Do(func() (err error) {
		src, err = afxdp.New(afxdp.Options{Interface: h.Probe.Link, Queues: []int{0},
			XSKMap: xsks, Bind: afxdp.BindCopy, Frames: 64,
			FillRingSize: 32, RxRingSize: 32})
		return err
	})
	if err != nil {
		t.Fatalf("open socket: %v", err)
	}
	t.Cleanup(func() { src.Close() })
}

// TestRedirectFirstPackets checks the verdicts and counters of the first-N redirect:
// the first N packets of each flow direction are redirected and only counted by the
// redirected counter, the rest are counted in the tables, and without a socket every
// packet is counted in the kernel, a flow's first with the no-socket counter. Frames
// seen always equal the table packets plus Counters.NotAccounted.
func TestRedirectFirstPackets(t *testing.T) {
	requireRoot(t)
	const n = 3
	a := cat(ether(0x0800), ipv4(17, "198.18.0.1", "198.18.0.2", 0, 0, udp(1000, 53, 10)))
	aBack := cat(ether(0x0800), ipv4(17, "198.18.0.2", "198.18.0.1", 0, 0,
		udp(53, 1000, 10)))
	b := cat(ether(0x0800), ipv4(6, "198.18.0.1", "198.18.0.3", 0, 0, tcp(1, 2, 0x02, 0)))
	arp := cat(ether(0x0806), make([]byte, 28))
	ka := key("198.18.0.1", "198.18.0.2", 1000, 53, 17, 0)
	kaBack := key("198.18.0.2", "198.18.0.1", 53, 1000, 17, 0)
	kb := key("198.18.0.1", "198.18.0.3", 1, 2, 6, 0)

	type step struct {
		frame   []byte
		verdict uint32
	}
	redirectRun := []step{
		{a, xdpRedirect}, {a, xdpRedirect}, {aBack, xdpRedirect}, {a, xdpRedirect},
		{a, xdpPass}, {b, xdpRedirect}, {a, xdpPass}, {arp, xdpPass},
	}
	cases := []struct {
		name     string
		first    uint32
		socket   bool
		steps    []step
		tables   map[flow.Key]uint64 // packets per key in the tables
		counters map[Counter]uint64
	}{
		{"first 3", n, true, redirectRun,
			map[flow.Key]uint64{ka: 2},
			map[Counter]uint64{CounterRedirected: 5, CounterNotIP: 1}},
		{"no socket", n, false,
			[]step{{a, xdpPass}, {a, xdpPass}, {b, xdpPass}, {arp, xdpPass}},
			map[flow.Key]uint64{ka: 2, kb: 1},
			// The second packet of a finds a's entry and is not offered again.
			map[Counter]uint64{CounterNoSocket: 2, CounterNotIP: 1}},
		{"all", RedirectAll, true,
			[]step{{a, xdpRedirect}, {aBack, xdpRedirect}, {arp, xdpRedirect}},
			map[flow.Key]uint64{},
			map[Counter]uint64{CounterRedirected: 3}},
		{"all, no socket", RedirectAll, false,
			[]step{{a, xdpPass}, {arp, xdpPass}},
			map[flow.Key]uint64{ka: 1},
			map[Counter]uint64{CounterNoSocket: 2, CounterNotIP: 1}},
		{"off", 0, true,
			[]step{{a, xdpPass}, {aBack, xdpPass}},
			map[flow.Key]uint64{ka: 1, kaBack: 1},
			map[Counter]uint64{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := loadForTest(t, Config{RedirectFirst: tc.first})
			if tc.socket {
				bindSocket(t, o.XSKMap)
			}
			for i, s := range tc.steps {
				if got := run(t, o, s.frame); got != s.verdict {
					t.Errorf("frame %d: verdict %d, want %d", i, got, s.verdict)
				}
			}
			flows := drain(t, o)
			seen := uint64(0)
			for k, c := range flows {
				seen += c.Packets
				if c.Packets != tc.tables[k] {
					t.Errorf("table holds %d packets of %v:%d, want %d", c.Packets,
						k.SrcIP(), k.SrcPort, tc.tables[k])
				}
			}
			if len(flows) != len(tc.tables) {
				t.Errorf("tables hold %d flows, want %d", len(flows), len(tc.tables))
			}
			cnt, err := o.Counters()
			if err != nil {
				t.Fatal(err)
			}
			for c := range NumCounters {
				if cnt[c] != tc.counters[c] {
					t.Errorf("counter %s is %d, want %d", c, cnt[c], tc.counters[c])
				}
			}
			if seen+cnt.NotAccounted() != uint64(len(tc.steps)) {
				t.Errorf("%d frames in tables + %d not accounted, %d frames run", seen,
					cnt.NotAccounted(), len(tc.steps))
			}
		})
	}
}

// TestRedirectMemorySurvivesSwap checks that a flow that has sent its first packets
// to user space does not send more after the tables are swapped and drained.
func TestRedirectMemorySurvivesSwap(t *testing.T) {
	o := loadForTest(t, Config{RedirectFirst: 1})
	bindSocket(t, o.XSKMap)
	a := cat(ether(0x0800), ipv4(17, "198.18.0.1", "198.18.0.2", 0, 0, udp(1000, 53, 10)))
	if got := run(t, o, a); got != xdpRedirect {
		t.Fatalf("first packet: verdict %d, want redirect", got)
	}
	for range 3 {
		drain(t, o)
		if got := run(t, o, a); got != xdpPass {
			t.Fatalf("packet after a swap: verdict %d, want pass", got)
		}
	}
}
