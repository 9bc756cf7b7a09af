package service

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ask sends one request with command cmd on conn and returns the JSON of the reply,
// checking the reply header and the terminating NUL as trap_stats does.
func ask(t *testing.T, conn net.Conn, cmd uint8) ([]byte, error) {
	t.Helper()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write(AppendHeader(nil, Header{Command: cmd})); err != nil {
		return nil, err
	}
	var hdr [HeaderSize]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return nil, err
	}
	h, _ := ParseHeader(hdr[:])
	if h.Command != CmdReplyOK {
		t.Fatalf("reply command %d, want %d", h.Command, CmdReplyOK)
	}
	body := make([]byte, h.DataSize)
	if _, err := io.ReadFull(conn, body); err != nil {
		return nil, err
	}
	if len(body) == 0 || body[len(body)-1] != 0 {
		t.Fatalf("reply of %d bytes does not end in NUL", len(body))
	}
	return body[:len(body)-1], nil
}

// counting serves a report whose in_cnt says how many requests came so far.
func counting() (func() ([]byte, error), *atomic.Int64) {
	var n atomic.Int64
	return func() ([]byte, error) {
		return Marshal(Report{InCount: int(n.Add(1))})
	}, &n
}

func listen(t *testing.T) (*Server, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trap-service_test.sock")
	report, _ := counting()
	s, err := Listen(path, report)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func dial(t *testing.T, path string) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestServerAnswersRepeatedRequests(t *testing.T) {
	_, path := listen(t)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o666 || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("socket file: %v, %v; want a socket with mode 0666", fi.Mode(), err)
	}
	c := dial(t, path)
	for want := 1; want <= 3; want++ {
		doc, err := ask(t, c, CmdGetStats)
		if err != nil {
			t.Fatal(err)
		}
		var r Report
		if err := json.Unmarshal(doc, &r); err != nil || r.InCount != want {
			t.Fatalf("reply %d: %s (%v)", want, doc, err)
		}
	}
}

// Any command but "get statistics", a set request included, makes libtrap close.
func TestServerClosesOnBadCommand(t *testing.T) {
	for _, cmd := range []uint8{0, CmdSetConfig, CmdReplyOK, 255} {
		_, path := listen(t)
		c := dial(t, path)
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write(AppendHeader(nil, Header{Command: cmd}))
		if n, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("command %d: read %d bytes, %v; want EOF", cmd, n, err)
		}
	}
}

// A header that stops half way is given up, so it cannot hold a slot forever.
func TestServerDropsPartialHeader(t *testing.T) {
	_, path := listen(t)
	c := dial(t, path)
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte{CmdGetStats, 0, 0})
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read after a partial header: %v, want EOF", err)
	}
}

func TestServerTwoSupervisorsAtOnce(t *testing.T) {
	_, path := listen(t)
	a, b := dial(t, path), dial(t, path)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, c := range []net.Conn{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				doc, err := ask(t, c, CmdGetStats)
				if err == nil && !json.Valid(doc) {
					err = errors.New("invalid JSON: " + string(doc))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestServerRefusesClientsBeyondMax(t *testing.T) {
	_, path := listen(t)
	for range MaxClients {
		if _, err := ask(t, dial(t, path), CmdGetStats); err != nil {
			t.Fatal(err)
		}
	}
	extra := dial(t, path)
	if _, err := ask(t, extra, CmdGetStats); err == nil {
		t.Fatalf("client %d was served", MaxClients+1)
	}
}

func TestServerCloseWithClientConnected(t *testing.T) {
	s, path := listen(t)
	c := dial(t, path)
	if _, err := ask(t, c, CmdGetStats); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a connected client")
	}
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("client read after Close: %v, want EOF", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket file after Close: %v", err)
	}
}

func TestListenSocketInUse(t *testing.T) {
	s, path := listen(t)
	report, _ := counting()
	if _, err := Listen(path, report); !errors.Is(err, ErrInUse) {
		t.Fatalf("second Listen: %v, want ErrInUse", err)
	}
	// The refused second server must not have touched the first one's socket.
	if _, err := ask(t, dial(t, path), CmdGetStats); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// A socket another program accepts on is found by connecting to it.
func TestListenSocketOfAnotherProgram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	report, _ := counting()
	if _, err := Listen(path, report); !errors.Is(err, ErrInUse) {
		t.Fatalf("Listen on another program's socket: %v, want ErrInUse", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the other program's socket file: %v", err)
	}
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stale.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close() // the file stays, as after a module that was killed
	report, _ := counting()
	s, err := Listen(path, report)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	defer s.Close()
	if _, err := ask(t, dial(t, path), CmdGetStats); err != nil {
		t.Fatal(err)
	}
}

// Close removes the file only while it is its own: a newer server that took the name
// keeps its socket.
func TestCloseKeepsAnotherServersFile(t *testing.T) {
	s, path := listen(t)
	os.Remove(path)
	report, _ := counting()
	newer, err := Listen(path, report)
	if err != nil {
		t.Fatal(err)
	}
	defer newer.Close()
	s.Close()
	if _, err := ask(t, dial(t, path), CmdGetStats); err != nil {
		t.Fatalf("newer server after the old one closed: %v", err)
	}
}

func TestListenUnwritableDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "trap-service_1.sock")
	report, _ := counting()
	_, err := Listen(path, report)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Listen in a missing directory: %v", err)
	}
}

func TestReportErrorClosesConnection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "failing.sock")
	s, err := Listen(path, func() ([]byte, error) { return nil, errors.New("no counters") })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := ask(t, dial(t, path), CmdGetStats); err == nil {
		t.Fatal("a reply came although the report failed")
	}
}

func TestSocketPathHonoursTrapSocketDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TRAP_SOCKET_DIR", dir)
	if got, want := SocketPath(4242), filepath.Join(dir, "trap-service_4242.sock"); got != want {
		t.Fatalf("SocketPath = %s, want %s", got, want)
	}
}
