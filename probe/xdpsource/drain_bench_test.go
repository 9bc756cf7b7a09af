package xdpsource

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/bpf/xdpflow"
	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/flowcache"
)

// udpFrame returns an Ethernet frame with an IPv4 UDP header for flow number i.
func udpFrame(i int) []byte {
	b := make([]byte, 14+20+8)
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], 28)
	copy(ip[12:], []byte{198, 19, byte(i >> 8), byte(i)})
	copy(ip[16:], []byte{198, 18, 0, 1})
	binary.BigEndian.PutUint16(ip[20:], uint16(i>>16))
	binary.BigEndian.PutUint16(ip[22:], 53)
	return b
}

// pinToCPU0 keeps the calling goroutine on CPU 0, so that one CPU's table fills.
func pinToCPU0(b *testing.B) {
	runtime.LockOSThread()
	b.Cleanup(runtime.UnlockOSThread)
	var set unix.CPUSet
	set.Set(0)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		b.Fatalf("pin to cpu 0: %v", err)
	}
}

func threadCPU(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

// cacheMerger merges into a flow cache and counts what the cache hands out.
type cacheMerger struct{ c *flowcache.Cache }

func (m cacheMerger) Merge(agg *flow.Record) { m.c.Merge(agg) }

// BenchmarkDrainIntoCache measures what one drain costs user space with the program's
// table holding n flows (counted by running the program once per flow, untimed): the
// swap, reading and deleting the entries, and merging each into a flow cache. It
// reports CPU time of the draining thread, which a busy machine disturbs less than
// wall time, per drain and per flow.
func BenchmarkDrainIntoCache(b *testing.B) {
	testhost.RequireRoot(b)
	for _, n := range []int{1000, 1000000} {
		b.Run(fmt.Sprintf("flows=%d", n), func(b *testing.B) {
			pinToCPU0(b)
			objs, err := xdpflow.Load(xdpflow.Config{TableEntries: 1 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer objs.Close()
			cache, err := flowcache.New(flowcache.Config{Capacity: 1 << 21},
				func(batch []flow.Record) []flow.Record { return batch[:0] })
			if err != nil {
				b.Fatal(err)
			}
			d, err := newDrainer(objs, cacheMerger{cache}, 1)
			if err != nil {
				b.Fatal(err)
			}
			frames := make([][]byte, n)
			for i := range frames {
				frames[i] = udpFrame(i)
			}
			// One drain first, untimed: the cache's first touch of its slot array makes
			// the kernel zero whole 2 MB pages, a cost of the start, not of a drain.
			for _, f := range frames {
				if _, err := objs.Program.Run(&ebpf.RunOptions{Data: f}); err != nil {
					b.Fatal(err)
				}
			}
			if err := d.drainTables(nil); err != nil {
				b.Fatal(err)
			}
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				for _, f := range frames {
					if _, err := objs.Program.Run(&ebpf.RunOptions{Data: f}); err != nil {
						b.Fatal(err)
					}
				}
				before := d.stats.Partials
				b.StartTimer()

				c0 := threadCPU(b)
				if err := d.drainTables(nil); err != nil {
					b.Fatal(err)
				}
				cpu += threadCPU(b) - c0
				if got := d.stats.Partials - before; got != uint64(n) {
					b.Fatalf("drained %d flows, the program counted %d", got, n)
				}
			}
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/1000, "cpu-ms/drain")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/flow")
		})
	}
}
