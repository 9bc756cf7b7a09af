package ipfix

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// checkRecord compares one decoded data record with the flow it came from.
func checkRecord(t *testing.T, rec map[fieldKey][]byte, want *flow.Record, enc encoding) {
	t.Helper()
	icmp := uint16(32)
	src, dst := fieldKey{0, 8}, fieldKey{0, 12}
	if want.IPVersion == 6 {
		icmp, src, dst = 139, fieldKey{0, 27}, fieldKey{0, 28}
	}
	start, end := uint16(154), uint16(155)
	wantStart, wantEnd := ntpMicros(want.TimeFirst), ntpMicros(want.TimeLast)
	if enc.milliseconds {
		start, end = 152, 153
		wantStart, wantEnd = uint64(want.TimeFirst/1e6), uint64(want.TimeLast/1e6)
	}
	type uintField struct {
		name string
		pen  uint32
		id   uint16
		want uint64
	}
	uints := []uintField{
		{"flowEndReason", 0, 136, uint64(want.EndReason)},
		{"octetDeltaCount", 0, 1, want.Bytes},
		{"reverseOctetDeltaCount", ReversePEN, 1, want.BytesRev},
		{"packetDeltaCount", 0, 2, want.Packets},
		{"reversePacketDeltaCount", ReversePEN, 2, want.PacketsRev},
		{"flowStart", 0, start, wantStart},
		{"flowEnd", 0, end, wantEnd},
		{"ipVersion", 0, 60, uint64(want.IPVersion)},
		{"protocolIdentifier", 0, 4, uint64(want.Protocol)},
		{"tcpControlBits", 0, 6, uint64(want.TCPFlags)},
		{"reverseTcpControlBits", ReversePEN, 6, uint64(want.TCPFlagsRev)},
		{"sourceTransportPort", 0, 7, uint64(want.SrcPort)},
		{"destinationTransportPort", 0, 11, uint64(want.DstPort)},
		{"ingressInterface", 0, 10, uint64(want.IfIndex)},
		{"flowDirection", 0, 61, uint64(want.Direction)},
		{"icmpTypeCode", 0, icmp, uint64(icmpTypeCode(want))},
		{"vlanId", 0, 58, uint64(want.VLAN)},
	}
	// A tunnelled flow carries its tunnel's ID only in a tunnel template.
	tunnelFields := map[flow.TunnelType]uintField{
		flow.TunnelGRE:   {"greKey", 0, 296, uint64(want.TunnelID)},
		flow.TunnelVXLAN: {"layer2SegmentId", 0, 351, 1<<56 | uint64(want.TunnelID)},
	}
	for tunnel, f := range tunnelFields {
		_, present := rec[fieldKey{f.pen, f.id}]
		switch {
		case enc.tunnels && tunnel == want.TunnelType:
			uints = append(uints, f)
		case present:
			t.Errorf("record of %v (tunnel %v, tunnel templates %v) has %s", want.SrcIP(),
				want.TunnelType, enc.tunnels, f.name)
		}
	}
	for _, u := range uints {
		if _, ok := rec[fieldKey{u.pen, u.id}]; !ok {
			t.Errorf("record of %v: no %s", want.SrcIP(), u.name)
			continue
		}
		if got := readUint(rec, u.pen, u.id); got != u.want {
			t.Errorf("record of %v: %s = %d, want %d", want.SrcIP(), u.name, got, u.want)
		}
	}
	for _, a := range []struct {
		name      string
		key       fieldKey
		got, want []byte
	}{
		{"source address", src, rec[src], want.SrcIP().AsSlice()},
		{"destination address", dst, rec[dst], want.DstIP().AsSlice()},
		{"sourceMacAddress", fieldKey{0, 56}, rec[fieldKey{0, 56}], want.SrcMAC[:]},
		{"destinationMacAddress", fieldKey{0, 80}, rec[fieldKey{0, 80}], want.DstMAC[:]},
	} {
		if !bytes.Equal(a.got, a.want) {
			t.Errorf("record of %v: %s = %x, want %x", want.SrcIP(), a.name, a.got, a.want)
		}
	}
}

// exportUDP exports records to a fresh collector and returns the datagrams received.
func exportUDP(t *testing.T, opts Options, records []flow.Record) ([][]byte, Stats) {
	t.Helper()
	c := newUDPCollector(t, "127.0.0.1:0")
	opts.Address = c.addr()
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Export(records); err != nil {
		t.Fatalf("export: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	st := e.Stats()
	return c.wait(t, int(st.MessagesSent+st.TemplatesSent)), st
}

func TestExportRoundTrip(t *testing.T) {
	for _, ms := range []bool{false, true} {
		t.Run(fmt.Sprintf("milliseconds=%v", ms), func(t *testing.T) {
			records := sampleRecords(300)
			msgs, st := exportUDP(t, Options{ObservationDomainID: 4242, Milliseconds: ms,
				Tunnels: true}, records)
			if st.RecordsSent != 300 || st.RecordsDropped != 0 || st.TemplatesSent != 1 {
				t.Fatalf("stats %+v, want 300 records sent, none dropped, one template message", st)
			}

			templates := map[uint16][]templateField{}
			var got []map[fieldKey][]byte
			seq := uint32(0)
			for i, b := range msgs {
				m, err := decodeMessage(b, templates)
				if err != nil {
					t.Fatalf("datagram %d: %v", i, err)
				}
				if i == 0 && len(m.templates) != 6 {
					t.Fatalf("first message holds templates %v, want 256 to 261", m.templates)
				}
				if m.domain != 4242 || m.seq != seq || m.length > DefaultMTU {
					t.Fatalf("message %d: domain %d seq %d length %d, want 4242, %d, <= %d",
						i, m.domain, m.seq, m.length, seq, DefaultMTU)
				}
				seq += uint32(len(m.records))
				got = append(got, m.records...)
			}
			if len(got) != len(records) {
				t.Fatalf("decoded %d records, want %d", len(got), len(records))
			}
			for i := range records {
				checkRecord(t, got[i], &records[i], encoding{milliseconds: ms, tunnels: true})
			}
		})
	}
}

// TestMessagesFillMTU checks that no message exceeds the MTU and that every full
// message really had no room for the record that follows it, with records of
// templates of several lengths above the smallest MTU.
func TestMessagesFillMTU(t *testing.T) {
	for _, mtu := range []int{512, 1458, 9000} {
		t.Run(fmt.Sprint(mtu), func(t *testing.T) {
			records := sampleRecords(500)
			enc := encoding{tunnels: mtu > 512}
			msgs, _ := exportUDP(t, Options{MTU: mtu, Tunnels: enc.tunnels}, records)
			templates := map[uint16][]templateField{}
			next := 0
			for i, b := range msgs {
				m, err := decodeMessage(b, templates)
				if err != nil {
					t.Fatalf("datagram %d: %v", i, err)
				}
				if m.length > mtu {
					t.Fatalf("datagram %d: %d bytes, mtu %d", i, m.length, mtu)
				}
				next += len(m.records)
				if len(m.records) == 0 || next == len(records) {
					continue
				}
				n, id := recordLen(&records[next], enc)
				if m.recordTIDs[len(m.recordTIDs)-1] != id {
					n += setHeaderLen
				}
				if m.length+n <= mtu {
					t.Errorf("datagram %d: %d bytes sent although record %d (%d bytes) fit",
						i, m.length, next, n)
				}
			}
		})
	}
}

func TestTemplateRefresh(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		step     time.Duration // clock advance per exported message
		messages int
		want     []int // indices of the datagrams that must be template messages
	}{
		{"every 3 messages", Options{TemplateRefreshMessages: 3}, 0, 7, []int{0, 4, 8}},
		{"every 10 s", Options{TemplateRefresh: 10 * time.Second}, 4 * time.Second, 7,
			[]int{0, 4, 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newUDPCollector(t, "127.0.0.1:0")
			now := time.Unix(1772366400, 0)
			tt.opts.Address = c.addr()
			tt.opts.Now = func() time.Time { return now }
			e, err := New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.messages {
				if err := e.Export(sampleRecords(1 + i)[i:]); err != nil {
					t.Fatal(err)
				}
				if err := e.Flush(); err != nil {
					t.Fatal(err)
				}
				now = now.Add(tt.step)
			}
			st := e.Stats()
			msgs := c.wait(t, int(st.MessagesSent+st.TemplatesSent))
			var got []int
			templates := map[uint16][]templateField{}
			for i, b := range msgs {
				m, err := decodeMessage(b, templates)
				if err != nil {
					t.Fatal(err)
				}
				if len(m.templates) > 0 {
					got = append(got, i)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("template messages at %v, want %v", got, tt.want)
			}
			_ = e.Close()
		})
	}
}

// TestUDPRefusedKeepsExporting exports to a port where nobody listens, then starts a
// collector there. Every record sent into the void is reported dropped (on loopback
// each refusal comes back before the next write), and the collector decodes the first
// message it gets, because the templates go out again after a refusal.
func TestUDPRefusedKeepsExporting(t *testing.T) {
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	e, err := New(Options{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	reported := 0
	for i := range 10 {
		reported += droppedBy(t, e.Export(sampleRecords(i + 1)[i:]), ErrRefused)
		reported += droppedBy(t, e.Flush(), ErrRefused)
		time.Sleep(time.Millisecond) // let the ICMP error come back
	}
	c := newUDPCollector(t, addr)
	records := sampleRecords(40)
	for i := range records {
		reported += droppedBy(t, e.Export(records[i:i+1]), ErrRefused)
		reported += droppedBy(t, e.Flush(), ErrRefused)
	}
	st := e.Stats()
	if st.Refused == 0 || reported != 10 || st.RecordsDropped != 10 {
		t.Fatalf("%d records reported dropped, stats %+v; want the 10 sent while nobody "+
			"listened", reported, st)
	}
	// The collector learns templates only from what it receives.
	var got []map[fieldKey][]byte
	for n := len(records); len(got) < len(records); n++ {
		templates := map[uint16][]templateField{}
		got = got[:0]
		for i, b := range c.wait(t, n) {
			m, err := decodeMessage(b, templates)
			if err != nil {
				t.Fatalf("datagram %d: %v", i, err)
			}
			got = append(got, m.records...)
		}
	}
	for i := range records {
		checkRecord(t, got[i], &records[i], encoding{})
	}
}

func TestOptionsErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no port", Options{Address: "127.0.0.1"}, "collector address"},
		{"bad transport", Options{Address: "127.0.0.1:4739", Transport: "sctp"}, "transport"},
		{"small mtu", Options{Address: "127.0.0.1:4739", MTU: 100}, "mtu 100"},
		{"mtu below the tunnel templates", Options{Address: "127.0.0.1:4739", MTU: 600,
			Tunnels: true}, "templates need a message of 636 bytes"},
		{"huge mtu", Options{Address: "127.0.0.1:4739", MTU: 70000}, "mtu 70000"},
		{"negative buffer", Options{Address: "127.0.0.1:4739", BufferRecords: -1}, "buffer"},
		{"negative refresh", Options{Address: "127.0.0.1:4739", TemplateRefreshMessages: -1},
			"refresh"},
		{"tls over udp", Options{Address: "127.0.0.1:4739", TLS: &tls.Config{}}, "tls"},
		{"bad tcp host", Options{Address: "no-such-host.invalid:4739", Transport: TCP},
			"tcp collector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(tt.opts)
			if err == nil {
				_ = e.Close()
				t.Fatalf("New(%+v) succeeded", tt.opts)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(tt.want)) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestNTPMicros(t *testing.T) {
	tests := []struct {
		name string
		unix time.Time
	}{
		{"epoch", time.Unix(0, 0)},
		{"whole second", time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		{"one microsecond", time.Date(2026, 3, 1, 12, 0, 0, 1_000, time.UTC)},
		{"sub-microsecond dropped", time.Date(2026, 3, 1, 12, 0, 0, 1_999, time.UTC)},
		{"last microsecond", time.Date(2026, 3, 1, 12, 0, 0, 999_999_999, time.UTC)},
		{"half", time.Date(2030, 1, 1, 0, 0, 0, 500_000_000, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := ntpMicros(tt.unix.UnixNano())
			sec, frac := int64(v>>32)-ntpEpochOffset, v&0xffffffff
			if frac&2047 != 0 {
				t.Errorf("fraction %#x has low 11 bits set", frac)
			}
			wantUs := int64(tt.unix.Nanosecond() / 1000)
			truncated := int64(frac * 1_000_000 >> 32)
			rounded := int64((frac*1_000_000 + 1<<31) >> 32)
			if sec != tt.unix.Unix() || truncated != wantUs || rounded != wantUs {
				t.Errorf("got %d s + %d us (rounded %d), want %d s + %d us",
					sec, truncated, rounded, tt.unix.Unix(), wantUs)
			}
		})
	}
}

// TestTimesBefore1970 checks that a time before the Unix epoch, which no capture
// produces but a corrupt one could, is written as the epoch in both encodings.
func TestTimesBefore1970(t *testing.T) {
	if got := ntpMicros(-5_000_000); got != ntpEpochOffset<<32 {
		t.Errorf("ntpMicros(-5 ms) = %#x, want %#x", got, uint64(ntpEpochOffset)<<32)
	}
	if got := unixMillis(-5_000_000); got != 0 {
		t.Errorf("unixMillis(-5 ms) = %d, want 0", got)
	}
}
