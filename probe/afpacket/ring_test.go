package afpacket

import (
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestTickTimeWaitsForTheRing checks the time a worker's tick claims: the wall clock
// while the ring is caught up, and the last frame's time while blocks wait, so that
// a worker that fell behind does not move the flow cache past the frames to come.
func TestTickTimeWaitsForTheRing(t *testing.T) {
	const blockSize = 4096
	r := &ring{mem: make([]byte, 2*blockSize), blockSize: blockSize, blocks: 2}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	behind := now.Add(-time.Minute).UnixNano()

	if got := r.tickTime(now); got != now.UnixNano() {
		t.Errorf("empty ring: tick at %v, want now", time.Unix(0, got))
	}
	b, _ := r.readyBlock()
	atomic.StoreUint32(r.blockStatus(b), unix.TP_STATUS_USER)
	if got := r.tickTime(now); got != now.UnixNano() {
		t.Errorf("a block waiting, no frame handed over yet: tick at %v, want now",
			time.Unix(0, got))
	}
	r.lastFrame = behind
	if got := r.tickTime(now); got != behind {
		t.Errorf("a block waiting: tick at %v, want the last frame's time %v",
			time.Unix(0, got), time.Unix(0, behind))
	}
	atomic.StoreUint32(r.blockStatus(b), unix.TP_STATUS_KERNEL)
	if got := r.tickTime(now); got != now.UnixNano() {
		t.Errorf("caught up again: tick at %v, want now", time.Unix(0, got))
	}
}
