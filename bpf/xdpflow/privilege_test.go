package xdpflow

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// withoutCapabilities runs fn on a thread whose effective capabilities are all
// dropped. The thread is never handed back to the Go scheduler, so it dies with the
// goroutine whatever fn does.
func withoutCapabilities(t *testing.T, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			t.Errorf("capget: %v", err)
			return
		}
		data[0].Effective, data[1].Effective = 0, 0
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			t.Errorf("capset: %v", err)
			return
		}
		fn()
	}()
	<-done
}

func TestLoadWithoutCapabilities(t *testing.T) {
	requireRoot(t)
	var err error
	withoutCapabilities(t, func() { _, err = Load(Config{TableEntries: 64}) })
	if !errors.Is(err, unix.EPERM) || !strings.Contains(err.Error(), "CAP_BPF") {
		t.Errorf("load without capabilities: %v, want EPERM naming CAP_BPF", err)
	}
	t.Log(err)
}
