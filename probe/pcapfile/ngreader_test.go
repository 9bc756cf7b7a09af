package pcapfile

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// ngBuilder writes pcapng files by hand, for what the testdata files do not show:
// both byte orders, every packet block, clock options, damage.
type ngBuilder struct {
	order binary.AppendByteOrder
	b     []byte
}

func (w *ngBuilder) block(typ uint32, body []byte) {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	total := uint32(12 + len(body))
	w.b = w.order.AppendUint32(w.b, typ)
	w.b = w.order.AppendUint32(w.b, total)
	w.b = append(w.b, body...)
	w.b = w.order.AppendUint32(w.b, total)
}

// section starts a section of the given major version in the builder's byte order.
func (w *ngBuilder) section(order binary.AppendByteOrder, major uint16) {
	w.order = order
	body := order.AppendUint32(nil, ngByteOrderMagic)
	body = order.AppendUint16(body, major)
	body = order.AppendUint16(body, 0)
	body = order.AppendUint64(body, ^uint64(0))
	w.block(ngSectionHeader, body)
}

func (w *ngBuilder) option(code uint16, value []byte) []byte {
	o := w.order.AppendUint16(nil, code)
	o = w.order.AppendUint16(o, uint16(len(value)))
	o = append(o, value...)
	for len(o)%4 != 0 {
		o = append(o, 0)
	}
	return o
}

func (w *ngBuilder) iface(linkType uint16, snaplen uint32, opts ...[]byte) {
	body := w.order.AppendUint16(nil, linkType)
	body = w.order.AppendUint16(body, 0)
	body = w.order.AppendUint32(body, snaplen)
	for _, o := range opts {
		body = append(body, o...)
	}
	w.block(ngInterfaceDescription, append(body, 0, 0, 0, 0))
}

func (w *ngBuilder) packet(typ uint32, iface uint32, ts uint64, data []byte, wire uint32) {
	var body []byte
	if typ == ngPacketObsolete {
		body = w.order.AppendUint16(nil, uint16(iface))
		body = w.order.AppendUint16(body, 0)
	} else {
		body = w.order.AppendUint32(nil, iface)
	}
	body = w.order.AppendUint32(body, uint32(ts>>32))
	body = w.order.AppendUint32(body, uint32(ts))
	body = w.order.AppendUint32(body, uint32(len(data)))
	body = w.order.AppendUint32(body, wire)
	w.block(typ, append(body, data...))
}

func (w *ngBuilder) simple(wire uint32, data []byte) {
	w.block(ngSimplePacket, append(w.order.AppendUint32(nil, wire), data...))
}

// frameOf is a frame of n bytes, each byte its index plus seed.
func frameOf(n int, seed byte) []byte {
	f := make([]byte, n)
	for i := range f {
		f[i] = byte(i) + seed
	}
	return f
}

// TestPcapngBlocksAndClocks reads a file of four sections, little- and big-endian,
// one of an unknown version, with every kind of packet block and clock option, and
// checks every frame, from a mapping and with read calls alike.
func TestPcapngBlocksAndClocks(t *testing.T) {
	var w ngBuilder
	le, be := binary.LittleEndian, binary.BigEndian
	const t0 = 1_700_000_000

	w.section(le, 1)
	w.iface(1, 0) // Ethernet, microseconds
	w.packet(ngEnhancedPacket, 0, t0*1e6+123_456, frameOf(60, 1), 60)
	w.simple(64, frameOf(64, 2)) // the time of the packet before
	w.block(0x0bad, []byte("a block of a type no reader knows"))
	w.iface(101, 0, w.option(ngOptionTSResol, []byte{9}), // raw IP, nanoseconds,
		w.option(ngOptionTSOffset, le.AppendUint64(nil, 100))) // 100 s later
	w.packet(ngEnhancedPacket, 1, t0*1e9+7, frameOf(40, 3), 1500)
	w.packet(ngPacketObsolete, 1, t0*1e9+8, frameOf(41, 4), 41)

	w.section(be, 1)
	w.iface(1, 32, w.option(ngOptionTSResol, []byte{0x80 | 20})) // 2^-20 s
	w.packet(ngEnhancedPacket, 0, (t0<<20)+1<<19, frameOf(60, 5), 60)
	w.simple(100, frameOf(32, 6)) // cut to the snap length of 32

	w.section(le, 2) // a version to skip, with all it holds
	w.iface(1, 0)
	w.packet(ngEnhancedPacket, 0, 1, frameOf(60, 7), 60)

	w.section(le, 1)
	w.iface(113, 0, w.option(ngOptionTSResol, []byte{3})) // Linux SLL, milliseconds
	w.packet(ngEnhancedPacket, 0, t0*1e3+9, frameOf(50, 8), 50)

	want := []struct {
		data  []byte
		ts    int64
		wire  int
		iface uint32
		link  capture.LinkType
	}{
		{frameOf(60, 1), t0*1e9 + 123_456_000, 60, 0, capture.LinkEthernet},
		{frameOf(64, 2), t0*1e9 + 123_456_000, 64, 0, capture.LinkEthernet},
		{frameOf(40, 3), (t0+100)*1e9 + 7, 1500, 1, capture.LinkRaw},
		{frameOf(41, 4), (t0+100)*1e9 + 8, 41, 1, capture.LinkRaw},
		{frameOf(60, 5), t0*1e9 + 500_000_000, 60, 0, capture.LinkEthernet},
		{frameOf(32, 6), t0*1e9 + 500_000_000, 100, 0, capture.LinkEthernet},
		{frameOf(50, 8), t0*1e9 + 9_000_000, 50, 0, capture.LinkSLL},
	}
	rec, err := readAll(t, writeTemp(t, "sections.pcapng", w.b), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.frames) != len(want) {
		t.Fatalf("read %d frames, want %d", len(rec.frames), len(want))
	}
	for i, w := range want {
		f := rec.frames[i]
		if string(f.Data) != string(w.data) || f.Timestamp != w.ts || f.WireLen != w.wire ||
			f.IfIndex != w.iface || f.LinkType != w.link {
			t.Errorf("frame %d: %d bytes at %d, wire %d, interface %d, link %v; want "+
				"%d bytes at %d, wire %d, interface %d, link %v", i+1, len(f.Data),
				f.Timestamp, f.WireLen, f.IfIndex, f.LinkType, len(w.data), w.ts, w.wire,
				w.iface, w.link)
		}
	}
	checkMappedAgrees(t, w.b)
}

// TestPcapngDamage checks that damaged blocks stop the reader with an error naming
// the file and the packet, after every good packet before them.
func TestPcapngDamage(t *testing.T) {
	le := binary.LittleEndian
	good := func() *ngBuilder {
		w := &ngBuilder{}
		w.section(le, 1)
		w.iface(1, 0)
		w.packet(ngEnhancedPacket, 0, 1, frameOf(60, 1), 60)
		return w
	}
	cases := []struct {
		name   string
		damage func(w *ngBuilder)
		want   string
	}{
		{"unknown interface", func(w *ngBuilder) {
			w.packet(ngEnhancedPacket, 5, 1, frameOf(60, 2), 60)
		}, "packet of interface 5, but the section describes 1"},
		{"captured length beyond the block", func(w *ngBuilder) {
			w.packet(ngEnhancedPacket, 0, 1, frameOf(60, 2), 60)
			le.PutUint32(w.b[len(w.b)-4-60-8:], 9999)
		}, "captured length 9999 overruns"},
		{"trailing length differs", func(w *ngBuilder) {
			w.packet(ngEnhancedPacket, 0, 1, frameOf(60, 2), 60)
			le.PutUint32(w.b[len(w.b)-4:], 12)
		}, "ends with 12"},
		{"length not a multiple of 4", func(w *ngBuilder) {
			w.packet(ngEnhancedPacket, 0, 1, frameOf(60, 2), 60)
			le.PutUint32(w.b[len(w.b)-4-60-20-4:], 91)
		}, "claims a length of 91 bytes"},
		{"option beyond its block", func(w *ngBuilder) {
			w.iface(1, 0, w.option(ngOptionTSOffset, make([]byte, 8)))
			le.PutUint16(w.b[len(w.b)-4-4-12+2:], 200)
		}, "option 14 overruns its block"},
		{"simple packet shorter than its packet", func(w *ngBuilder) {
			w.simple(100, frameOf(64, 2))
		}, "simple packet block of 80 bytes is too short for 100 bytes"},
		{"clock too fine", func(w *ngBuilder) {
			w.iface(1, 0, w.option(ngOptionTSResol, []byte{25}))
		}, "time resolution 10^-25 is too fine"},
		{"time offset out of range", func(w *ngBuilder) {
			w.iface(1, 0, w.option(ngOptionTSOffset, le.AppendUint64(nil, 1<<62)))
		}, "interface 1: time offset of 4611686018427387904 seconds is out of range"},
		{"time after 2262", func(w *ngBuilder) {
			w.iface(1, 0, w.option(ngOptionTSResol, []byte{9}))
			w.packet(ngEnhancedPacket, 1, 1<<63+5, frameOf(60, 2), 60)
		}, "time 9223372036854775813 of interface 1 is outside the years 1678 to 2262"},
		{"time after 2262 through the offset", func(w *ngBuilder) {
			w.iface(1, 0, w.option(ngOptionTSOffset, le.AppendUint64(nil, 9_000_000_000)))
			w.packet(ngEnhancedPacket, 1, 300_000_000*1e6, frameOf(60, 2), 60)
		}, "outside the years 1678 to 2262"},
		{"binary clock after 2262", func(w *ngBuilder) {
			w.iface(1, 0, w.option(ngOptionTSResol, []byte{0x80 | 1}))
			w.packet(ngEnhancedPacket, 1, 1<<63, frameOf(60, 2), 60)
		}, "outside the years 1678 to 2262"},
		{"section of another byte order magic", func(w *ngBuilder) {
			w.section(le, 1)
			le.PutUint32(w.b[len(w.b)-20:], 0x12345678)
		}, "byte-order magic 0x12345678"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := good()
			c.damage(w)
			path := writeTemp(t, "damaged.pcapng", w.b)
			rec, err := readAll(t, path, false)
			if len(rec.frames) != 1 {
				t.Errorf("delivered %d frames, want the 1 before the damage", len(rec.frames))
			}
			want := fmt.Sprintf("%s: packet 2 at offset ", path)
			if err == nil || !strings.Contains(err.Error(), want) ||
				!strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to contain %q and %q", err, want, c.want)
			}
			checkMappedAgrees(t, w.b)
		})
	}
}
