package xdpflow

import (
	"testing"
	"time"
)

// TestFlowTimes checks the first and last times of a flow whose three packets are
// 50 ms apart, with the precise clock and with the coarse one, which may lag by up to
// a kernel tick (at most 10 ms). The third packet catches a coarse reading the program
// cached for the second and failed to renew.
func TestFlowTimes(t *testing.T) {
	const gap = 50 * time.Millisecond
	cases := []struct {
		precise bool
		slack   time.Duration
	}{{true, 0}, {false, 10 * time.Millisecond}}
	frame := cat(ether(0x0800), ipv4(6, "198.18.4.1", "198.18.4.2", 0, 0, tcp(1, 2, 0x10, 0)))
	for _, tc := range cases {
		o := loadForTest(t, Config{PreciseTime: tc.precise, TableEntries: 64})
		pinToCPU0(t)
		run(t, o, frame)
		for range 2 {
			time.Sleep(gap)
			run(t, o, frame)
		}
		for _, c := range drain(t, o) {
			d := time.Duration(c.LastNs - c.FirstNs)
			if c.LastNs < c.FirstNs || d < 2*gap-tc.slack || d > 2*gap+time.Second {
				t.Errorf("precise %v: last - first = %v, want about %v", tc.precise, d,
					2*gap)
			}
		}
	}
}
