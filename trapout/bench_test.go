package trapout

import (
	"testing"
	"time"
)

const basicFlow = "ipaddr DST_IP,ipaddr SRC_IP,uint64 BYTES,uint64 BYTES_REV," +
	"uint64 LINK_BIT_FIELD,time TIME_FIRST,time TIME_LAST,macaddr DST_MAC,macaddr SRC_MAC," +
	"uint32 PACKETS,uint32 PACKETS_REV,uint16 DST_PORT,uint16 SRC_PORT,uint8 DIR_BIT_FIELD," +
	"uint8 PROTOCOL,uint8 TCP_FLAGS,uint8 TCP_FLAGS_REV"

// BenchmarkModuleUNIX measures 100-byte basic flow records through the module API,
// one context sending and one receiving over a UNIX socket.
func BenchmarkModuleUNIX(b *testing.B) {
	b.Setenv("TRAP_SOCKET_DIR", b.TempDir())
	sctx, err := Open("u:bench", 0, 1)
	if err != nil {
		b.Fatal(err)
	}
	rctx, err := Open("u:bench", 1, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer rctx.Close()
	out, in := sctx.Output(0), rctx.Input(0)
	in.SetRequired(basicFlow)
	out.SetFormat(basicFlow)
	rec := make([]byte, 100)
	done := make(chan int, 1)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	go func() {
		n := 0
		for n < b.N {
			if _, err := in.Recv(); err != nil {
				b.Error(err)
				break
			}
			n++
		}
		done <- n
	}()
	for i := 0; i < b.N; i++ {
		out.Send(rec)
	}
	out.Flush()
	if n := <-done; n != b.N {
		b.Fatalf("received %d of %d", n, b.N)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	sctx.Close()
}

// BenchmarkRecvStatistics measures what the service interface's per-record counters
// (message count and receive delays) cost Input.Recv: it reads the same trapcap file
// of 100-byte records through Input.Recv and through the bare file input beneath it,
// alternating in one run, and reports both times per record and their ratio.
func BenchmarkRecvStatistics(b *testing.B) {
	dir := b.TempDir()
	b.Setenv("TRAP_SOCKET_DIR", dir)
	const records = 200_000
	path := dir + "/recs.trapcap"
	w, err := OpenWith("f:"+path, 0, 1, Options{NoService: true})
	if err != nil {
		b.Fatal(err)
	}
	w.Output(0).SetFormat(basicFlow)
	rec := make([]byte, 100)
	for range records {
		if err := w.Output(0).Send(rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	read := func(counted bool) time.Duration {
		ctx, err := OpenWith("f:"+path, 1, 0, Options{NoService: true})
		if err != nil {
			b.Fatal(err)
		}
		defer ctx.Close()
		in := ctx.Input(0)
		in.Recv() // the format change before the first record
		start := time.Now()
		for range records {
			var err error
			if counted {
				_, err = in.Recv()
			} else {
				_, _, err = in.impl.Recv()
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	var bare, counted time.Duration
	b.ReportAllocs()
	for b.Loop() {
		bare += read(false)
		counted += read(true)
	}
	perRec := func(d time.Duration) float64 {
		return float64(d.Nanoseconds()) / float64(b.N) / records
	}
	b.ReportMetric(perRec(bare), "bare-ns/rec")
	b.ReportMetric(perRec(counted), "counted-ns/rec")
	b.ReportMetric(float64(counted)/float64(bare), "ratio")
}
