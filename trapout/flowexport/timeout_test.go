package flowexport

import (
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/trapout"
)

// TestTimeoutDefault exports to a UNIX socket output that no client ever connects to.
// Under WAIT an output waits for a client before it sends, so an export that returns
// shows the output did not wait; the specifier's timeout overrides Options.Timeout.
func TestTimeoutDefault(t *testing.T) {
	cases := []struct {
		name    string
		spec    string
		timeout trapout.Timeout
		blocks  bool
	}{
		{"zero options never wait", "u:nowait", 0, false},
		{"options ask to wait", "u:wait", trapout.Wait, true},
		{"specifier waits over options", "u:fixed:timeout=WAIT", trapout.NoWait, true},
		{"specifier never waits over options", "u:fixed2:timeout=NO_WAIT", trapout.Wait,
			false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("TRAP_SOCKET_DIR", t.TempDir())
			e, err := Open(c.spec, Options{Timeout: c.timeout})
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				err := e.Export(testRecords())
				if err == nil {
					err = e.Flush()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if c.blocks {
					t.Fatalf("export returned (%v) with no client connected", err)
				}
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(300 * time.Millisecond):
				if !c.blocks {
					t.Fatal("export still waits for a client after 300 ms")
				}
			}
			// Close wakes an export that waits for a client.
			e.ctx.Close()
		})
	}
}
