package packet

import (
	"path/filepath"
	"testing"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// TestTracesAgainstTshark parses every trace in testdata/pcap, with and without
// decapsulation, and checks each frame against tshark: a flow packet exactly when
// tshark finds IP, with the same IP length, addresses, protocol, ports, TCP flags
// and ICMP type and code.
func TestTracesAgainstTshark(t *testing.T) {
	for _, name := range traceFiles(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			frames := readTrace(t, name)
			want := runTshark(t, filepath.Join(pcapDir, name))
			if len(want) != len(frames) {
				t.Fatalf("tshark reports %d frames, pcapgo %d", len(want), len(frames))
			}
			for _, decap := range []bool{false, true} {
				p := NewParser(Options{Decapsulate: decap})
				var pkt flow.Packet
				var ipBytes, wantBytes uint64
				var ipPackets, wantPackets int
				bad := 0
				for i := range frames {
					r := p.Parse(&frames[i], &pkt)
					w, err := want[i].ipLayer(decap)
					if err != nil {
						t.Fatalf("frame %d: tshark output: %v", i+1, err)
					}
					if r == OK {
						ipPackets++
						ipBytes += uint64(pkt.IPBytes)
					}
					if w.present {
						wantPackets++
						wantBytes += uint64(w.ipBytes)
					}
					if err := compareWithTshark(r, &pkt, w); err != nil {
						if bad++; bad <= 5 {
							t.Errorf("decapsulate=%v frame %d (%s): %v", decap, i+1,
								joinProtocols(want[i].protocols), err)
						}
					}
				}
				if bad > 5 {
					t.Errorf("decapsulate=%v: %d frames differ in all", decap, bad)
				}
				st := p.Stats()
				var sum uint64
				for _, n := range st.Reasons {
					sum += n
				}
				if sum != uint64(len(frames)) || st.Frames != sum {
					t.Errorf("reasons add up to %d, Frames %d, trace has %d",
						sum, st.Frames, len(frames))
				}
				if ipPackets != wantPackets || ipBytes != wantBytes {
					t.Errorf("decapsulate=%v: %d IP packets, %d bytes; tshark %d, %d",
						decap, ipPackets, ipBytes, wantPackets, wantBytes)
				}
			}
		})
	}
}

func joinProtocols(p []string) string {
	s := ""
	for i, x := range p {
		if i > 0 {
			s += ":"
		}
		s += x
	}
	return s
}
