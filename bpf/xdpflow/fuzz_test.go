package xdpflow

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/packet"
)

// FuzzProgramParity feeds arbitrary frames to the XDP program and to probe/packet.
// For every frame the program must pass it, count it exactly once, in the same place
// the user-space parser puts it: the same unparsed reason, or the flow table under the
// same key with the same IP bytes, with the same view of a missing transport header.
func FuzzProgramParity(f *testing.F) {
	const a, b = "198.18.5.1", "198.18.5.2"
	seeds := [][]byte{
		cat(ether(0x0800), ipv4(6, a, b, 0, 0, tcp(1, 2, 0x12, 3))),
		cat(ether(0x0800, 3, 4), ipv4(17, a, b, 1, 0x2000, udp(1, 2, 3))),
		cat(ether(0x86dd), ipv6(0, "2001:db8::1", "2001:db8::2",
			extHeader(44, fragHeader(17, 0, true, udp(5, 6, 1))))),
		cat(ether(0x8847), mpls(2), make([]byte, 4), ether(0x0800), ipv4(1, a, b, 0, 0,
			icmp(8, 0))),
		cat(ether(0x8864), pppoe(0x57, 48), ipv6(58, "2001:db8::1", "2001:db8::2",
			icmp(128, 0))),
		cat(ether(0x0806), make([]byte, 28)),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	if os.Geteuid() != 0 {
		f.Skip("running the XDP program needs root")
	}
	o, err := Load(Config{TableEntries: 1024})
	if err != nil {
		f.Fatalf("load: %v", err)
	}
	f.Cleanup(func() { o.Close() })
	table := o.sets[o.active][0]
	p := packet.NewParser(packet.Options{FragmentTimeout: time.Nanosecond})
	var now int64

	f.Fuzz(func(t *testing.T, frame []byte) {
		// The kernel's test runs take frames of 14 bytes up to about a page.
		if len(frame) < 14 || len(frame) > 3000 {
			return
		}
		pinToCPU0(t)
		// One frame per run: neither side may use a first fragment of an earlier run.
		clearMap(t, o.frags)
		now += 1e9
		var pkt flow.Packet
		missingBefore := p.Stats().L4Missing
		reason := p.Parse(&capture.Frame{Data: frame, Timestamp: now,
			LinkType: capture.LinkEthernet}, &pkt)
		l4Missing := p.Stats().L4Missing != missingBefore

		before, err := o.Counters()
		if err != nil {
			t.Fatal(err)
		}
		if v := run(t, o, frame); v != xdpPass {
			t.Fatalf("verdict %d", v)
		}
		after, err := o.Counters()
		if err != nil {
			t.Fatal(err)
		}

		for c := range CounterL4Missing {
			want := uint64(0)
			if reason != packet.OK && reasonCounter[reason] == c {
				want = 1
			}
			if after[c]-before[c] != want {
				t.Fatalf("counter %s rose by %d, parser says %s", c, after[c]-before[c],
					reason)
			}
		}
		if reason != packet.OK {
			return
		}
		if got := after[CounterL4Missing] - before[CounterL4Missing]; (got == 1) != l4Missing {
			t.Errorf("program l4_missing %d, parser %v", got, l4Missing)
		}
		var c FlowCounters
		k := KeyOf(&pkt.Key)
		if err := table.LookupAndDelete(&k, &c); err != nil {
			t.Fatalf("parser's flow %+v not in the table: %v", pkt.Key, err)
		}
		if c.Packets != 1 || c.Bytes != uint64(pkt.IPBytes) || c.TCPFlags != pkt.TCPFlags ||
			c.ICMPTypeCode != pkt.ICMPTypeCode {
			t.Errorf("program counted %+v, parser %+v", c, pkt)
		}
	})
}

// FuzzDecodePacketEvent checks that any record decodes or fails cleanly.
func FuzzDecodePacketEvent(f *testing.F) {
	f.Add(make([]byte, packetEventSize))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := DecodePacketEvent(raw)
		if (err == nil) != (len(raw) == packetEventSize) {
			t.Fatalf("%d bytes: err %v", len(raw), err)
		}
		if err == nil && ev.Key.SrcAddr[0] != raw[0] {
			t.Fatalf("decoded %+v from %x", ev, raw)
		}
	})
}

// clearMap deletes every entry of m.
func clearMap(t testing.TB, m *ebpf.Map) {
	t.Helper()
	var k fragKeyBytes
	for {
		err := m.NextKey(nil, &k)
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return
		}
		if err == nil {
			err = m.Delete(&k)
		}
		if err != nil {
			t.Fatalf("clear %s: %v", m, err)
		}
	}
}

// fragKeyBytes holds a key of the fragments map (struct frag_key).
type fragKeyBytes [40]byte
