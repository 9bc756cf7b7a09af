package afxdp

import (
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// TestWithoutPrivileges opens a source on a thread that dropped its capabilities:
// Linux keeps capabilities per thread, so the rest of the test process keeps them.
func TestWithoutPrivileges(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	errc := make(chan error, 1)
	go func() {
		// The thread stays locked, so it ends with the goroutine and no other
		// goroutine ever runs without capabilities.
		runtime.LockOSThread()
		err := h.Probe.Do(func() error {
			hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
			// CAP_SYS_ADMIN alone is kept so the thread can leave the namespace.
			var data [2]unix.CapUserData
			data[0].Effective = 1 << unix.CAP_SYS_ADMIN
			data[0].Permitted = 1 << unix.CAP_SYS_ADMIN
			if err := unix.Capset(&hdr, &data[0]); err != nil {
				t.Errorf("drop capabilities: %v", err)
				return nil
			}
			s, err := New(Options{Interface: h.Probe.Link})
			if err == nil {
				s.Close()
			}
			return err
		})
		errc <- err
	}()
	err := <-errc
	if err == nil || !strings.Contains(err.Error(), "needs CAP_NET_RAW") {
		t.Fatalf("New without capabilities: %v", err)
	}
	t.Log(err)
	if x := xdpState(t, &h.Probe); x.Attached {
		t.Errorf("xdp program %d attached without privileges", x.ProgId)
	}
}
