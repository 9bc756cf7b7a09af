package xdpflow

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/packet"
)

type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	LinkType() layers.LinkType
}

func openTrace(t *testing.T, path string) packetSource {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".pcapng") {
		r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return r
	}
	r, err := pcapgo.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

// reasonCounter maps the user-space parser's reasons to the program's counters.
var reasonCounter = [packet.NumReasons]Counter{
	packet.NotIP:       CounterNotIP,
	packet.Truncated:   CounterTruncated,
	packet.BadHeader:   CounterBadHeader,
	packet.Unsupported: CounterUnsupported,
}

type flowSum struct {
	packets, bytes uint64
	tcpFlags       uint8
}

// TestParityWithUserSpaceParser runs every Ethernet frame of the shared test traces
// through both the XDP program and probe/packet, and requires the same count of
// frames for every reason they were not parsed, and the same flows. Both fragment
// tables are made large enough that neither forgets a first fragment, since their
// eviction orders differ, and the program's table is emptied between traces so that
// no fragment of one trace finds another trace's first fragment.
func TestParityWithUserSpaceParser(t *testing.T) {
	o := loadForTest(t, Config{TableEntries: 1 << 16, FragmentEntries: 1 << 16})
	paths, err := filepath.Glob("../../testdata/pcap/*.pcap*")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no test traces: %v", err)
	}
	for _, path := range paths {
		src := openTrace(t, path)
		if src.LinkType() != layers.LinkTypeEthernet {
			continue
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			clearMap(t, o.frags)
			p := packet.NewParser(packet.Options{FragmentSlots: 1 << 19})
			want := map[flow.Key]flowSum{}
			var pkt flow.Packet
			frames, skipped := 0, 0
			before, err := o.Counters()
			if err != nil {
				t.Fatal(err)
			}
			var wantCounters Counters
			for i := 0; ; i++ {
				data, _, err := src.ReadPacketData()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				// The kernel's test runs take frames of 14 bytes up to about a page.
				if len(data) < 14 || len(data) > 3000 {
					skipped++
					continue
				}
				frames++
				// A nanosecond apart, as the program sees them within microseconds.
				f := capture.Frame{Data: data, Timestamp: int64(i),
					LinkType: capture.LinkEthernet}
				reason := p.Parse(&f, &pkt)
				run(t, o, data)
				if reason != packet.OK {
					wantCounters[reasonCounter[reason]]++
				} else {
					s := want[pkt.Key]
					s.packets++
					s.bytes += uint64(pkt.IPBytes)
					s.tcpFlags |= pkt.TCPFlags
					want[pkt.Key] = s
				}
			}
			after, err := o.Counters()
			if err != nil {
				t.Fatal(err)
			}
			for c := range CounterL4Missing {
				if n := after[c] - before[c]; n != wantCounters[c] {
					t.Errorf("program counted %d frames as %s, parser %d", n, c,
						wantCounters[c])
				}
			}
			got := map[flow.Key]flowSum{}
			for k, c := range drain(t, o) {
				got[k] = flowSum{c.Packets, c.Bytes, c.TCPFlags}
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("flow %v %d -> %v %d proto %d vlan %d: program %+v, parser %+v",
						k.SrcIP(), k.SrcPort, k.DstIP(), k.DstPort, k.Protocol, k.VLAN,
						got[k], w)
				}
			}
			if len(got) != len(want) {
				t.Errorf("program made %d flows, parser %d", len(got), len(want))
			}
			t.Logf("%d frames, %d flows, %d skipped for size", frames, len(want), skipped)
		})
	}
}
