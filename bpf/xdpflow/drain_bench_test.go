package xdpflow

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// fillActive writes n flows, spread evenly over the tables, into the set of tables the
// program is using, as if the program had counted them on CPU 0.
func fillActive(b testing.TB, o *Objects, n int) {
	b.Helper()
	set := o.sets[o.active]
	cpus := 1
	if o.layout == PerCPUValues {
		var err error
		if cpus, err = ebpf.PossibleCPU(); err != nil {
			b.Fatal(err)
		}
	}
	keys := make([]Key, 0, drainBatch)
	values := make([]FlowCounters, 0, drainBatch*cpus)
	for mi, m := range set {
		for i := mi; i < n; i += len(set) {
			var k Key
			k.IPVersion, k.Protocol = 4, 6
			k.SrcAddr[10], k.SrcAddr[11] = 0xff, 0xff
			k.DstAddr[10], k.DstAddr[11] = 0xff, 0xff
			copy(k.SrcAddr[12:], []byte{198, 19, byte(i >> 8), byte(i)})
			k.DstAddr[12], k.DstAddr[15] = 198, 1
			k.SrcPort, k.DstPort = uint16(i>>16), 443
			keys = append(keys, k)
			values = append(values, FlowCounters{Packets: 3, Bytes: 300, FirstNs: 1, LastNs: 2})
			for range cpus - 1 {
				values = append(values, FlowCounters{})
			}
			if len(keys) == drainBatch || i+len(set) >= n {
				if _, err := m.BatchUpdate(keys, values, nil); err != nil {
					b.Fatalf("fill: %v", err)
				}
				keys, values = keys[:0], values[:0]
			}
		}
	}
}

// BenchmarkDrain measures one swap and drain of the tables, on a sparse table (1,000
// flows in room for a million per CPU) and on a million live flows, for both layouts.
// It reports the drain's wall time and CPU time (user and system, of this thread; the
// CPU time is the steadier figure on a busy machine) and the swap's wall time, which
// is mostly the kernel waiting for RCU grace periods.
func BenchmarkDrain(b *testing.B) {
	requireRoot(b)
	const capacity = 1 << 20
	for _, layout := range layouts {
		for _, live := range []int{1000, 1000000} {
			b.Run(fmt.Sprintf("%s/live=%d", layout, live), func(b *testing.B) {
				o := loadForTest(b, Config{Layout: layout, TableEntries: capacity})
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				var swap, drain, drainCPU time.Duration
				for b.Loop() {
					b.StopTimer()
					fillActive(b, o, live)
					b.StartTimer()

					t0 := time.Now()
					tables, err := o.Swap()
					if err != nil {
						b.Fatal(err)
					}
					t1, c1 := time.Now(), threadCPU(b)
					got := 0
					if err := tables.Drain(func(*flow.Key, *FlowCounters) { got++ }); err != nil {
						b.Fatal(err)
					}
					swap += t1.Sub(t0)
					drain += time.Since(t1)
					drainCPU += threadCPU(b) - c1
					if got != live {
						b.Fatalf("drained %d flows, filled %d", got, live)
					}
				}
				n := float64(b.N)
				b.ReportMetric(float64(drain.Microseconds())/n/1000, "drain-ms")
				b.ReportMetric(float64(drainCPU.Microseconds())/n/1000, "drain-cpu-ms")
				b.ReportMetric(float64(drainCPU.Nanoseconds())/n/float64(live), "cpu-ns/flow")
				b.ReportMetric(float64(swap.Microseconds())/n/1000, "swap-ms")
			})
		}
	}
}

// threadCPU returns the user and system time the calling thread has used.
func threadCPU(b testing.TB) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}
