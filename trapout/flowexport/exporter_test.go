package flowexport

import (
	"bytes"
	"io"
	"math"
	"net/netip"
	"slices"
	"testing"

	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/trapout"
	"github.com/flowprobe/flowprobe/trapout/unirec"
)

func record(src, dst string, sport, dport uint16, proto uint8) flow.Record {
	var r flow.Record
	r.SetAddrs(netip.MustParseAddr(src), netip.MustParseAddr(dst))
	r.SrcPort, r.DstPort, r.Protocol = sport, dport, proto
	return r
}

func testRecords() []flow.Record {
	tcp := record("192.0.2.1", "198.51.100.7", 51514, 443, 6)
	tcp.Packets, tcp.PacketsRev, tcp.Bytes, tcp.BytesRev = 12, 10, 1834, 9210
	tcp.TCPFlags, tcp.TCPFlagsRev = flow.TCPSyn|flow.TCPAck, flow.TCPAck|flow.TCPFin
	tcp.TimeFirst, tcp.TimeLast = 1709294400_100000000, 1709294402_350000123
	tcp.SrcMAC = [6]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55}
	tcp.DstMAC = [6]byte{0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb}

	v6 := record("2001:db8::10", "2001:db8::53", 40001, 53, 17)
	v6.Packets, v6.Bytes = math.MaxUint32+5, 1<<40

	icmp := record("10.0.0.5", "10.0.0.1", 0, 0, 1)
	icmp.ICMPTypeCode = 8 << 8
	return []flow.Record{tcp, v6, icmp}
}

// TestReadBack exports flows over a UNIX socket and reads them through an input that
// requires the exact basic flow template.
func TestReadBack(t *testing.T) {
	t.Setenv("TRAP_SOCKET_DIR", t.TempDir())
	e, err := Open("u:flows", Options{LinkBitField: 1, DirBitField: 1, SendEOF: true,
		Timeout: trapout.Wait})
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := trapout.Open("u:flows", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	in := ctx.Input(0)
	in.SetRequired(Template)

	want := testRecords()
	type result struct {
		recs [][]byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		for {
			m, err := in.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				r.err = err
				break
			}
			r.recs = append(r.recs, slices.Clone(m))
		}
		done <- r
	}()
	if err := e.Export(want); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if typ, spec := in.Format(); typ != trapout.UniRec || spec != Template {
		t.Fatalf("negotiated %v %q, want the basic flow template", typ, spec)
	}
	tmpl, err := in.Template()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.recs) != len(want) {
		t.Fatalf("got %d records, want %d", len(res.recs), len(want))
	}
	for i, rec := range res.recs {
		if len(rec) != 100 {
			t.Fatalf("record of %d bytes, want 100", len(rec))
		}
		checkBasicFields(t, tmpl, rec, &want[i])
	}
}

// checkBasicFields compares the fields of the basic flow template in rec with w.
func checkBasicFields(t *testing.T, tmpl *unirec.Template, rec []byte, w *flow.Record) {
	t.Helper()
	ix := tmpl.Index
	wantDst := w.DstPort
	if w.Protocol == 1 && ix("L4_ICMP_TYPE_CODE") < 0 {
		wantDst = w.ICMPTypeCode // else the icmp plugin's field holds it
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"SRC_IP", tmpl.IP(rec, ix("SRC_IP")), w.SrcIP()},
		{"DST_IP", tmpl.IP(rec, ix("DST_IP")), w.DstIP()},
		{"SRC_PORT", tmpl.Uint16(rec, ix("SRC_PORT")), w.SrcPort},
		{"DST_PORT", tmpl.Uint16(rec, ix("DST_PORT")), wantDst},
		{"PROTOCOL", tmpl.Uint8(rec, ix("PROTOCOL")), w.Protocol},
		{"PACKETS", uint64(tmpl.Uint32(rec, ix("PACKETS"))), min(w.Packets, math.MaxUint32)},
		{"PACKETS_REV", uint64(tmpl.Uint32(rec, ix("PACKETS_REV"))), w.PacketsRev},
		{"BYTES", tmpl.Uint64(rec, ix("BYTES")), w.Bytes},
		{"BYTES_REV", tmpl.Uint64(rec, ix("BYTES_REV")), w.BytesRev},
		{"TIME_FIRST", tmpl.Time(rec, ix("TIME_FIRST")), unirec.TimeFromUnixNano(w.TimeFirst)},
		{"TIME_LAST", tmpl.Time(rec, ix("TIME_LAST")), unirec.TimeFromUnixNano(w.TimeLast)},
		{"SRC_MAC", tmpl.MAC(rec, ix("SRC_MAC")), w.SrcMAC},
		{"DST_MAC", tmpl.MAC(rec, ix("DST_MAC")), w.DstMAC},
		{"TCP_FLAGS", tmpl.Uint8(rec, ix("TCP_FLAGS")), w.TCPFlags},
		{"TCP_FLAGS_REV", tmpl.Uint8(rec, ix("TCP_FLAGS_REV")), w.TCPFlagsRev},
		{"LINK_BIT_FIELD", tmpl.Uint64(rec, ix("LINK_BIT_FIELD")), uint64(1)},
		{"DIR_BIT_FIELD", tmpl.Uint8(rec, ix("DIR_BIT_FIELD")), uint8(1)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestMatchesLogreplay decodes the records logreplay wrote for the basic flow
// template, exports them again and expects the same bytes.
func TestMatchesLogreplay(t *testing.T) {
	ctx, err := trapout.Open("f:../../testdata/trap/basicflow.trapcap", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	in := ctx.Input(0)
	in.SetRequired(Template)
	tmpl, _ := unirec.ParseTemplate(Template)
	out, err := trapout.Open("b:", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(out.Output(0), Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		m, err := in.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		ix := tmpl.Index
		var r flow.Record
		r.SetAddrs(tmpl.IP(m, ix("SRC_IP")), tmpl.IP(m, ix("DST_IP")))
		r.SrcPort, r.DstPort = tmpl.Uint16(m, ix("SRC_PORT")), tmpl.Uint16(m, ix("DST_PORT"))
		r.Protocol = tmpl.Uint8(m, ix("PROTOCOL"))
		r.Packets = uint64(tmpl.Uint32(m, ix("PACKETS")))
		r.PacketsRev = uint64(tmpl.Uint32(m, ix("PACKETS_REV")))
		r.Bytes, r.BytesRev = tmpl.Uint64(m, ix("BYTES")), tmpl.Uint64(m, ix("BYTES_REV"))
		r.TimeFirst = tmpl.Time(m, ix("TIME_FIRST")).Go().UnixNano()
		r.TimeLast = tmpl.Time(m, ix("TIME_LAST")).Go().UnixNano()
		r.SrcMAC, r.DstMAC = tmpl.MAC(m, ix("SRC_MAC")), tmpl.MAC(m, ix("DST_MAC"))
		r.TCPFlags, r.TCPFlagsRev = tmpl.Uint8(m, ix("TCP_FLAGS")), tmpl.Uint8(m, ix("TCP_FLAGS_REV"))
		e.opts.LinkBitField = tmpl.Uint64(m, ix("LINK_BIT_FIELD"))
		e.opts.DirBitField = tmpl.Uint8(m, ix("DIR_BIT_FIELD"))
		e.encode(&r)
		if !bytes.Equal(e.rec, m) {
			t.Fatalf("record %d:\n got % x\nwant % x", n, e.rec, m)
		}
	}
	if n != 5 {
		t.Fatalf("compared %d records, want 5", n)
	}
}

func TestExportAllocatesNothing(t *testing.T) {
	ctx, err := trapout.Open("b:", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	e, err := New(ctx.Output(0), Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := testRecords()
	if n := testing.AllocsPerRun(100, func() { e.Export(recs) }); n != 0 {
		t.Fatalf("Export allocates %v times per call", n)
	}
}

func TestOpenError(t *testing.T) {
	if _, err := Open("x:1", Options{}); err == nil {
		t.Fatal("bad specifier accepted")
	}
	if _, err := Open("u:a,u:b", Options{}); err == nil {
		t.Fatal("two outputs accepted")
	}
}
