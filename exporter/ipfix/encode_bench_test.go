package ipfix

import (
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// BenchmarkEncode encodes one record per operation into a message-sized buffer, with
// this package's encoder and with go-ipfix's data record API.
func BenchmarkEncode(b *testing.B) {
	records := sampleRecords(1024)
	g := newGoIPFIXRecord(b)
	buf := make([]byte, 0, 65536)
	cases := []struct {
		name string
		put  func(r *flow.Record)
	}{
		{"direct", func(r *flow.Record) {
			buf = buf[:len(buf)+putRecord(buf[len(buf):len(buf)+maxRecordLen], r, encoding{tunnels: true})]
		}},
		{"direct-ms", func(r *flow.Record) {
			buf = buf[:len(buf)+putRecord(buf[len(buf):len(buf)+maxRecordLen], r, goIPFIXEncoding)]
		}},
		{"go-ipfix-reused", func(r *flow.Record) { buf, _ = g.appendReused(buf, r) }},
		{"go-ipfix-new", func(r *flow.Record) { buf, _ = g.appendNew(buf, r) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if cap(buf)-len(buf) < maxRecordLen {
					buf = buf[:0]
				}
				c.put(&records[i%len(records)])
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkEncodeRatio times both encoders on the same batches, interleaved in one
// run, and reports how many times slower go-ipfix is.
func BenchmarkEncodeRatio(b *testing.B) {
	records := sampleRecords(1024)
	g := newGoIPFIXRecord(b)
	buf := make([]byte, 0, len(records)*maxRecordLen)
	var direct, goipfix time.Duration
	for b.Loop() {
		start := time.Now()
		buf = buf[:0]
		for i := range records {
			n := putRecord(buf[len(buf):len(buf)+maxRecordLen], &records[i], goIPFIXEncoding)
			buf = buf[:len(buf)+n]
		}
		mid := time.Now()
		buf = buf[:0]
		for i := range records {
			buf, _ = g.appendReused(buf, &records[i])
		}
		direct += mid.Sub(start)
		goipfix += time.Since(mid)
	}
	n := float64(b.N * len(records))
	b.ReportMetric(float64(direct.Nanoseconds())/n, "direct-ns/record")
	b.ReportMetric(float64(goipfix.Nanoseconds())/n, "goipfix-ns/record")
	b.ReportMetric(float64(goipfix)/float64(direct), "goipfix/direct")
}

// BenchmarkExportUDP runs the whole path, Export of 1024 records per operation to a
// collector on 127.0.0.1 that reads and discards.
func BenchmarkExportUDP(b *testing.B) {
	e, err := New(Options{Address: udpSink(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	records := sampleRecords(1024)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		if err := e.Export(records); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	n := float64(b.N * len(records))
	b.ReportMetric(n/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/record")
}

// TestExportAllocatesNothing holds the per-record path to zero allocations on both
// transports once the exporter is running.
func TestExportAllocatesNothing(t *testing.T) {
	for _, o := range []Options{
		{Address: udpSink(t), Transport: UDP},
		{Address: tcpSink(t), Transport: TCP},
	} {
		t.Run(o.Transport, func(t *testing.T) {
			e, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			waitFor(t, e, "connection", func(s Stats) bool { return o.Transport != TCP || s.Connected })
			records := sampleRecords(256)
			allocs := testing.AllocsPerRun(50, func() {
				if err := e.Export(records); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("Export of %d records allocates %v times", len(records), allocs)
			}
		})
	}
}

// udpSink returns the address of a UDP socket that discards what it reads without
// allocating, so that allocation counts see only the exporter.
func udpSink(tb testing.TB) string {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, err := conn.Read(buf); err != nil {
				return
			}
		}
	}()
	return conn.LocalAddr().String()
}

// tcpSink is udpSink for TCP: it accepts connections and discards what they carry.
func tcpSink(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_, _ = io.Copy(io.Discard, conn)
			}()
		}
	}()
	return ln.Addr().String()
}
