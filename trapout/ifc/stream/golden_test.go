package stream

import (
	"bytes"
	"os"
	"sort"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

const goldenDir = "../../../testdata/trap/"

// serverStream returns the bytes the server sent in a captured TCP session, in
// sequence order, each byte once.
func serverStream(t *testing.T, name string) []byte {
	t.Helper()
	f, err := os.Open(goldenDir + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var serverPort layers.TCPPort
	segs := map[uint32][]byte{}
	var isn uint32
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		pkt := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
		tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			continue
		}
		if tcp.SYN && !tcp.ACK {
			serverPort = tcp.DstPort
			continue
		}
		if tcp.SrcPort != serverPort {
			if len(tcp.Payload) != 0 {
				t.Fatalf("%s: the client sent %d bytes; libtrap clients send none",
					name, len(tcp.Payload))
			}
			continue
		}
		if tcp.SYN {
			isn = tcp.Seq + 1
			continue
		}
		if len(tcp.Payload) > 0 {
			segs[tcp.Seq-isn] = append([]byte(nil), tcp.Payload...)
		}
	}
	offs := make([]int, 0, len(segs))
	for o := range segs {
		offs = append(offs, int(o))
	}
	sort.Ints(offs)
	var out []byte
	for _, o := range offs {
		if o > len(out) {
			t.Fatalf("%s: gap in the server stream at offset %d", name, len(out))
		}
		seg := segs[uint32(o)]
		if o+len(seg) > len(out) {
			out = append(out, seg[len(out)-o:]...)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no server payload found", name)
	}
	return out
}

// splitStream decodes a server stream: the hello's format, then every message of
// every container, and the container headers.
func splitStream(t *testing.T, b []byte) (wire.Format, [][]byte, []wire.ContainerHeader) {
	t.Helper()
	typ, n, err := wire.ParseHelloHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	f := wire.Format{Type: typ, Spec: string(b[8 : 8+n])}
	b = b[8+n:]
	var msgs [][]byte
	var hdrs []wire.ContainerHeader
	for len(b) > 0 {
		h, err := wire.ParseContainerHeader(b)
		if err != nil {
			t.Fatal(err)
		}
		hdrs = append(hdrs, h)
		p := b[wire.ContainerHeaderSize : wire.ContainerHeaderSize+int(h.PayloadLen)]
		b = b[wire.ContainerHeaderSize+int(h.PayloadLen):]
		for len(p) > 0 {
			m, rest, err := wire.NextMessage(p)
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
			p = rest
		}
	}
	return f, msgs, hdrs
}

func TestGoldenCapturesAgree(t *testing.T) {
	tcp := serverStream(t, "tcp_session.pcap")
	unix, err := os.ReadFile(goldenDir + "unix_stream.bin")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tcp, unix) {
		t.Fatalf("tcp_session.pcap server stream (%d bytes) differs from unix_stream.bin "+
			"(%d bytes)", len(tcp), len(unix))
	}
	_, msgs, hdrs := splitStream(t, tcp)
	if len(hdrs) != 1 || len(msgs) != 21 || hdrs[0].Count != 21 {
		t.Fatalf("buffered capture: %d containers, %d messages; want 1 and 21",
			len(hdrs), len(msgs))
	}
	_, nmsgs, nhdrs := splitStream(t, serverStream(t, "tcp_session_nobuf.pcap"))
	if len(nhdrs) != 21 || len(nmsgs) != 21 {
		t.Fatalf("unbuffered capture: %d containers, %d messages; want 21 and 21",
			len(nhdrs), len(nmsgs))
	}
	for i := range msgs {
		if !bytes.Equal(msgs[i], nmsgs[i]) {
			t.Fatalf("message %d differs between the two captures", i)
		}
	}
}
