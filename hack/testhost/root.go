package testhost

import (
	"os"
	"testing"
)

// RequireRoot skips t with a reason when the test does not run as root, because
// creating namespaces, veth links and AF_PACKET sockets needs root privileges.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root to create network namespaces, veth links and " +
			"AF_PACKET sockets (run the tests as root, e.g. via make test)")
	}
}
