package stream

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
)

// outputSpec parses one output specifier; a TCP or TLS port of 0 picks a free port.
// UNIX sockets go to a temporary TRAP_SOCKET_DIR.
func outputSpec(t *testing.T, text string) ifc.Spec {
	t.Helper()
	if text[0] == 'u' {
		t.Setenv("TRAP_SOCKET_DIR", t.TempDir())
	}
	return parseOutput(t, text)
}

// outputSpecB is outputSpec for benchmarks.
func outputSpecB(b *testing.B, text string) ifc.Spec {
	b.Helper()
	if text[0] == 'u' {
		b.Setenv("TRAP_SOCKET_DIR", b.TempDir())
	}
	return parseOutput(b, text)
}

func parseOutput(t testing.TB, text string) ifc.Spec {
	port0 := false
	if len(text) > 3 && text[1:4] == ":0:" || text[1:] == ":0" {
		port0 = true
		text = text[:2] + "1" + text[3:]
	}
	specs, err := ifc.Parse(text, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if port0 {
		specs[0].Host, specs[0].Port = "127.0.0.1", "0"
	}
	return specs[0]
}

func startServer(t *testing.T, text string) *Server {
	t.Helper()
	srv, err := NewServer(outputSpec(t, text))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// inputSpecFor returns the input specifier that reaches srv.
func inputSpecFor(t testing.TB, srv *Server, extra string) ifc.Spec {
	t.Helper()
	var text string
	switch srv.spec.Kind {
	case ifc.UNIX:
		text = "u:" + srv.spec.Name
	default:
		text = "t:127.0.0.1:" + portOf(srv)
	}
	specs, err := ifc.Parse(text+extra, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	return specs[0]
}

func portOf(srv *Server) string {
	_, port, _ := net.SplitHostPort(srv.Addr().String())
	return port
}

func dialRaw(t *testing.T, srv *Server) net.Conn {
	t.Helper()
	network, addr := "tcp", "127.0.0.1:"+portOf(srv)
	if srv.spec.Kind == ifc.UNIX {
		network, addr = "unix", srv.spec.SocketPath
	}
	conn, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// readAll collects everything conn receives until the server closes it.
func readAll(conn net.Conn) <-chan []byte {
	ch := make(chan []byte, 1)
	go func() {
		conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		b, _ := io.ReadAll(conn)
		ch <- b
	}()
	return ch
}

// waitClients waits until srv counts n clients.
func waitClients(t *testing.T, srv *Server, n int) {
	t.Helper()
	for i := 0; srv.Stats().Clients != n; i++ {
		if i > 500 {
			t.Fatalf("server has %d clients, want %d", srv.Stats().Clients, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func inputSpecForB(b *testing.B, srv *Server) ifc.Spec { return inputSpecFor(b, srv, "") }
