package stream

import (
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

// basicFlow is the template of design.md; its records are 100 bytes.
var basicFlow = wire.Format{Type: wire.UniRec, Spec: "ipaddr DST_IP,ipaddr SRC_IP," +
	"uint64 BYTES,uint64 BYTES_REV,uint64 LINK_BIT_FIELD,time TIME_FIRST,time TIME_LAST," +
	"macaddr DST_MAC,macaddr SRC_MAC,uint32 PACKETS,uint32 PACKETS_REV,uint16 DST_PORT," +
	"uint16 SRC_PORT,uint8 DIR_BIT_FIELD,uint8 PROTOCOL,uint8 TCP_FLAGS,uint8 TCP_FLAGS_REV"}

// benchmarkStream sends b.N 100-byte records from a server to a client in the same
// process and reports records per second; allocations count both sides.
func benchmarkStream(b *testing.B, spec string) {
	srv, err := NewServer(outputSpecB(b, spec))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	srv.SetFormat(basicFlow)
	s := inputSpecForB(b, srv)
	c, err := NewClient(s)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.Recv(); err != nil {
		b.Fatal(err)
	}
	rec := make([]byte, 100)
	done := make(chan int, 1)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	go func() {
		n := 0
		for n < b.N {
			m, _, err := c.Recv()
			if err != nil {
				b.Error(err)
				break
			}
			if len(m) == 100 {
				n++
			}
		}
		done <- n
	}()
	for i := 0; i < b.N; i++ {
		rec[0] = byte(i)
		if err := srv.Send(rec); err != nil {
			b.Fatal(err)
		}
	}
	srv.Flush()
	if n := <-done; n != b.N {
		b.Fatalf("received %d of %d", n, b.N)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
}

func BenchmarkUNIX(b *testing.B) { benchmarkStream(b, "u:bench") }

func BenchmarkTCP(b *testing.B) { benchmarkStream(b, "t:0") }
