package stream

import (
	"net"
	"testing"

	"github.com/flowprobe/flowprobe/trapout/ifc"
	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

// FuzzClientStream feeds arbitrary bytes after a valid hello to a connected client:
// it must return messages or errors, never panic or hang.
func FuzzClientStream(f *testing.F) {
	f.Add(makeContainer(0, []byte("abc"), []byte{0}))
	f.Add(makeContainer(7, []byte{}, []byte("x")))
	f.Add([]byte{0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 20, 1, 2})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, stream []byte) {
		specs, err := ifc.Parse("u:fuzz-none:timeout=NO_WAIT", 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		specs[0].SocketPath = "/nonexistent/trap-fuzz.sock"
		c, err := NewClient(specs[0])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ours, theirs := net.Pipe()
		go func() {
			theirs.Write(stream)
			theirs.Close()
		}()
		c.conn, c.format, c.known, c.fresh = ours, formatA, true, true
		for range len(stream) + 2 {
			msg, _, err := c.Recv()
			if err != nil {
				if c.conn == nil {
					return // dropped, and reconnecting is impossible here
				}
				continue
			}
			if len(msg) > wire.MaxMessage {
				t.Fatalf("message of %d bytes", len(msg))
			}
		}
	})
}
