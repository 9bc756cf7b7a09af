package xdpsource

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// monoOffset returns what to add to a CLOCK_MONOTONIC time in nanoseconds, as
// bpf_ktime_get_ns gives it, to get Unix nanoseconds. The wall clock is read between
// two monotonic readings and compared to their midpoint, which halves the error a
// preemption between the readings could cause.
func monoOffset() (int64, error) {
	var before, after unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &before); err != nil {
		return 0, err
	}
	wall := time.Now().UnixNano()
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &after); err != nil {
		return 0, err
	}
	mid := (before.Nano() + after.Nano()) / 2
	return wall - mid, nil
}

// monotonicNow returns CLOCK_MONOTONIC in nanoseconds, the clock of the kernel's
// packet times.
func monotonicNow() (int64, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0, fmt.Errorf("read clocks: %w", err)
	}
	return ts.Nano(), nil
}
