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
