package afxdp

import (
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/hack/testhost"
)

// TestWithoutPrivileges opens sources on threads that dropped capabilities: Linux
// keeps capabilities per thread, so the rest of the test process keeps them.
func TestWithoutPrivileges(t *testing.T) {
	testhost.RequireRoot(t)
	cases := []struct {
		name string
		keep uint64 // capabilities kept; CAP_SYS_ADMIN lets the thread leave the netns
		opts Options
		want string
	}{
		{"no capabilities", 1 << unix.CAP_SYS_ADMIN, Options{}, "needs CAP_NET_RAW"},
		{"no CAP_IPC_LOCK beyond RLIMIT_MEMLOCK", ^uint64(0) &^ (1 << unix.CAP_IPC_LOCK),
			Options{Frames: 1 << 16}, "RLIMIT_MEMLOCK"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Frames > 0 {
				var rl unix.Rlimit
				if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl); err != nil {
					t.Fatal(err)
				}
				if umem := uint64(tc.opts.Frames) * DefaultFrameSize; rl.Cur >= umem {
					t.Skipf("skipping: RLIMIT_MEMLOCK of %d bytes admits the %d-byte UMEM",
						rl.Cur, umem)
				}
			}
			h := testhost.New(t, testhost.Options{})
			tc.opts.Interface = h.Probe.Link
			errc := make(chan error, 1)
			go func() {
				// The thread stays locked, so it ends with the goroutine and no
				// other goroutine ever runs with its reduced capabilities.
				runtime.LockOSThread()
				errc <- h.Probe.Do(func() error {
					if err := dropCapabilities(tc.keep); err != nil {
						t.Errorf("drop capabilities: %v", err)
						return nil
					}
					s, err := New(tc.opts)
					if err == nil {
						s.Close()
					}
					return err
				})
			}()
			err := <-errc
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v; want an error saying %q", err, tc.want)
			}
			t.Log(err)
			if x := testhost.XDPState(t, &h.Probe); x.Attached {
				t.Errorf("xdp program %d attached without privileges", x.ProgId)
			}
		})
	}
}

// dropCapabilities keeps only the capabilities in keep, of those the thread has.
func dropCapabilities(keep uint64) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	for i := range data {
		k := uint32(keep >> (32 * i))
		data[i].Effective &= k
		data[i].Permitted &= k
		data[i].Inheritable &= k
	}
	return unix.Capset(&hdr, &data[0])
}
