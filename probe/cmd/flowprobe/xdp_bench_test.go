package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// BenchmarkXDPProbeCPU measures the CPU that flowprobe --mode xdp spends in user
// space and in its own system calls (table swaps, drains, exporting) while n UDP
// flows are live: every flow gets one packet per second, sent by the benchmark from
// both CPUs in turn so that each CPU's table holds half of them. One iteration is ten
// seconds of traffic, enough for the 10 ms ticks in which the kernel accounts CPU
// time. It reports the probe's CPU as a share of one core over the iterations (from
// /proc/PID/stat, after two seconds of warm-up), and over the whole run including
// start and the final export (from the rusage wait4 returns).
func BenchmarkXDPProbeCPU(b *testing.B) {
	testhost.RequireRoot(b)
	for _, n := range []int{0, 100000} {
		b.Run(fmt.Sprintf("flows=%d", n), func(b *testing.B) {
			host := testhost.New(b, testhost.Options{})
			frames := liveFlowFrames(b, host, n)
			run := startLive(b, host, "--mode", "xdp")
			inj, err := host.Peer.NewInjector()
			if err != nil {
				b.Fatal(err)
			}
			defer inj.Close()
			start := time.Now()
			second := func() {
				next := time.Now().Add(time.Second)
				sendSpread(b, inj, frames)
				time.Sleep(time.Until(next))
			}
			second()
			second()
			pid := run.cmd.Process.Pid
			cpu0, wall0 := procCPU(b, pid), time.Now()
			for b.Loop() {
				for range 10 {
					second()
				}
			}
			cpu, wall := procCPU(b, pid)-cpu0, time.Since(wall0)
			run.stop(b)
			total := wall4CPU(run.cmd.ProcessState)
			b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu-%core")
			b.ReportMetric(100*total.Seconds()/time.Since(start).Seconds(),
				"run-cpu-%core")
			sum := run.summary(b)
			if sum.RingLost != 0 {
				b.Errorf("%d packets lost with tables and ring buffer full", sum.RingLost)
			}
			b.Logf("%d flows: drained %d packets in %d partial flows, %d via the ring "+
				"buffer", n, sum.TablePackets, sum.Partials, sum.RingPackets)
		})
	}
}

// liveFlowFrames returns one UDP frame for each of n flows between the host's ends.
func liveFlowFrames(b testing.TB, host *testhost.Host, n int) [][]byte {
	frames := make([][]byte, n)
	for i := range frames {
		var err error
		frames[i], err = testhost.UDP4Frame(&host.Peer, &host.Probe,
			uint16(1024+i%60000), uint16(9+i/60000), 0, make([]byte, 18))
		if err != nil {
			b.Fatal(err)
		}
	}
	return frames
}

// sendSpread sends the first half of frames from CPU 0 and the rest from CPU 1 (a
// veth receives on the sender's CPU), so that both CPUs' tables fill.
func sendSpread(b testing.TB, inj *testhost.Injector, frames [][]byte) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	half := len(frames) / 2
	for cpu, part := range [][][]byte{frames[:half], frames[half:]} {
		var set unix.CPUSet
		set.Set(cpu % runtime.NumCPU())
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			b.Fatal(err)
		}
		if _, err := inj.SendBatch(part); err != nil {
			b.Fatal(err)
		}
	}
	var all unix.CPUSet
	for c := range runtime.NumCPU() {
		all.Set(c)
	}
	_ = unix.SchedSetaffinity(0, &all)
}

// procCPU reads a process's user and system time from /proc/PID/stat, in the kernel's
// USER_HZ ticks, which are 100 a second on every Linux architecture Go supports.
func procCPU(b testing.TB, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The command name may hold spaces; the fields after it are plain numbers.
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	var ticks uint64
	for _, f := range fields[11:13] { // utime and stime, fields 14 and 15 of stat
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			b.Fatalf("parse /proc/%d/stat: %v", pid, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// wall4CPU returns the user and system time of a process that has been waited for.
func wall4CPU(ps *os.ProcessState) time.Duration {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
