package unirec

import (
	"net/netip"
	"testing"
	"time"
)

// basicFlowFields holds the indexes of the basic flow template's fields.
type basicFlowFields struct {
	dstIP, srcIP, bytes, bytesRev, link, first, last, dstMAC, srcMAC   int
	packets, packetsRev, dstPort, srcPort, dir, proto, flags, flagsRev int
}

func basicFlowIndexes(t *Template) basicFlowFields {
	return basicFlowFields{
		t.Index("DST_IP"), t.Index("SRC_IP"), t.Index("BYTES"), t.Index("BYTES_REV"),
		t.Index("LINK_BIT_FIELD"), t.Index("TIME_FIRST"), t.Index("TIME_LAST"),
		t.Index("DST_MAC"), t.Index("SRC_MAC"), t.Index("PACKETS"), t.Index("PACKETS_REV"),
		t.Index("DST_PORT"), t.Index("SRC_PORT"), t.Index("DIR_BIT_FIELD"),
		t.Index("PROTOCOL"), t.Index("TCP_FLAGS"), t.Index("TCP_FLAGS_REV"),
	}
}

var (
	benchSrc  = netip.MustParseAddr("192.168.1.10")
	benchDst  = netip.MustParseAddr("2001:db8::53")
	benchTime = time.Date(2024, 3, 1, 12, 0, 0, 100000000, time.UTC).UnixNano()
)

func encodeBasicFlow(t *Template, f *basicFlowFields, rec []byte, n uint64) {
	t.SetIP(rec, f.dstIP, benchDst)
	t.SetIP(rec, f.srcIP, benchSrc)
	t.SetUint64(rec, f.bytes, 1834+n)
	t.SetUint64(rec, f.bytesRev, 9210)
	t.SetUint64(rec, f.link, 1)
	t.SetTime(rec, f.first, TimeFromUnixNano(benchTime))
	t.SetTime(rec, f.last, TimeFromUnixNano(benchTime+2250000000))
	t.SetMAC(rec, f.dstMAC, [6]byte{0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb})
	t.SetMAC(rec, f.srcMAC, [6]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55})
	t.SetUint32(rec, f.packets, 12)
	t.SetUint32(rec, f.packetsRev, 10)
	t.SetUint16(rec, f.dstPort, 443)
	t.SetUint16(rec, f.srcPort, 51514)
	t.SetUint8(rec, f.dir, 0)
	t.SetUint8(rec, f.proto, 6)
	t.SetUint8(rec, f.flags, 27)
	t.SetUint8(rec, f.flagsRev, 27)
}

func decodeBasicFlow(t *Template, f *basicFlowFields, rec []byte) uint64 {
	sum := t.Uint64(rec, f.bytes) + t.Uint64(rec, f.bytesRev) + t.Uint64(rec, f.link)
	sum += uint64(t.Uint32(rec, f.packets)) + uint64(t.Uint32(rec, f.packetsRev))
	sum += uint64(t.Uint16(rec, f.dstPort)) + uint64(t.Uint16(rec, f.srcPort))
	sum += uint64(t.Uint8(rec, f.proto)) + uint64(t.Uint8(rec, f.flags))
	sum += uint64(t.Time(rec, f.first).Nanoseconds()) + uint64(t.Time(rec, f.last))
	if t.IP(rec, f.srcIP).Is4() {
		sum++
	}
	if t.IP(rec, f.dstIP).Is6() {
		sum++
	}
	m := t.MAC(rec, f.srcMAC)
	return sum + uint64(m[5])
}

func TestBasicFlowNoAllocs(t *testing.T) {
	tmpl, err := ParseTemplate(basicFlow)
	if err != nil {
		t.Fatal(err)
	}
	f := basicFlowIndexes(tmpl)
	rec := tmpl.NewRecord()
	line := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		rec = tmpl.Reset(rec)
		encodeBasicFlow(tmpl, &f, rec, 1)
		_ = decodeBasicFlow(tmpl, &f, rec)
		line = tmpl.AppendCSV(line[:0], rec, ',')
	})
	if allocs != 0 {
		t.Errorf("encode, decode and CSV of a basic flow allocate %v times", allocs)
	}
	want := "2001:db8::53,192.168.1.10,1835,9210,1,2024-03-01T12:00:00.100000," +
		"2024-03-01T12:00:02.350000,66:77:88:99:aa:bb,00:11:22:33:44:55,12,10,443,51514,0,6,27,27"
	if string(line) != want {
		t.Errorf("record prints\n%s\nwant\n%s", line, want)
	}

	dyn, err := ParseTemplate("uint16 P,string A,bytes B,uint16* C")
	if err != nil {
		t.Fatal(err)
	}
	drec := dyn.NewRecord()
	data := []byte("some text")
	allocs = testing.AllocsPerRun(100, func() {
		drec = dyn.Reset(drec)
		drec, _ = dyn.SetVar(drec, 3, data[:4])
		drec, _ = dyn.SetVar(drec, 1, data)
		drec, _ = dyn.SetVar(drec, 2, data[:3])
		_ = dyn.Var(drec, 2)
	})
	if allocs != 0 {
		t.Errorf("setting dynamic fields allocates %v times", allocs)
	}
}

func BenchmarkEncodeBasicFlow(b *testing.B) {
	tmpl, _ := ParseTemplate(basicFlow)
	f := basicFlowIndexes(tmpl)
	rec := tmpl.NewRecord()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rec = tmpl.Reset(rec)
		encodeBasicFlow(tmpl, &f, rec, uint64(i))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkDecodeBasicFlow(b *testing.B) {
	tmpl, _ := ParseTemplate(basicFlow)
	f := basicFlowIndexes(tmpl)
	rec := tmpl.NewRecord()
	encodeBasicFlow(tmpl, &f, rec, 1)
	b.ReportAllocs()
	var sum uint64
	for b.Loop() {
		if err := tmpl.Validate(rec); err != nil {
			b.Fatal(err)
		}
		sum += decodeBasicFlow(tmpl, &f, rec)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	_ = sum
}

func BenchmarkCSVBasicFlow(b *testing.B) {
	tmpl, _ := ParseTemplate(basicFlow)
	f := basicFlowIndexes(tmpl)
	rec := tmpl.NewRecord()
	encodeBasicFlow(tmpl, &f, rec, 1)
	line := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		line = tmpl.AppendCSV(line[:0], rec, ',')
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
