package stream

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

var formatA = wire.Format{Type: wire.UniRec, Spec: "uint32 ID,string PAYLOAD"}

// numbered returns message i: its number in 4 bytes, padded to size bytes.
func numbered(i, size int) []byte {
	m := make([]byte, size)
	binary.LittleEndian.PutUint32(m, uint32(i))
	return m
}

// sendN sends n numbered messages and the EOF marker; it reports the first error.
func sendN(srv *Server, n, size int) error { return sendFrom(srv, 0, n, size) }

// sendFrom sends messages from to n-1 and the EOF marker.
func sendFrom(srv *Server, from, n, size int) error {
	for i := from; i < n; i++ {
		if err := srv.Send(numbered(i, size)); err != nil {
			return err
		}
	}
	return srv.Send([]byte{0})
}

// recvNumbers receives until EOF and returns the message numbers.
func recvNumbers(c *Client) ([]int, error) {
	var got []int
	for {
		m, changed, err := c.Recv()
		if err != nil {
			return got, err
		}
		if changed {
			continue
		}
		if len(m) <= 1 {
			return got, nil
		}
		got = append(got, int(binary.LittleEndian.Uint32(m)))
	}
}

func checkSequence(t *testing.T, got []int, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("received %d messages, want %d", len(got), n)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("message %d has number %d", i, v)
		}
	}
}

func TestSeveralClientsGetEverything(t *testing.T) {
	for _, spec := range []string{"u:multi:buffer_size=2000:buffer_count=4", "t:0"} {
		t.Run(spec, func(t *testing.T) {
			srv := startServer(t, spec)
			srv.SetFormat(formatA)
			const clients, n = 3, 20000
			results := make([][]int, clients)
			errs := make([]error, clients)
			var wg sync.WaitGroup
			for i := range clients {
				c := newClient(t, inputSpecFor(t, srv, ""))
				wg.Go(func() { results[i], errs[i] = recvNumbers(c) })
			}
			waitClients(t, srv, clients)
			if err := sendN(srv, n, 60); err != nil {
				t.Fatal(err)
			}
			srv.Close()
			wg.Wait()
			for i := range clients {
				if errs[i] != nil {
					t.Fatalf("client %d: %v", i, errs[i])
				}
				checkSequence(t, results[i], n)
			}
		})
	}
}

func TestWaitBlocksWithoutClientAndUnderBackpressure(t *testing.T) {
	srv := startServer(t, "u:wait:buffer_size=1000:buffer_count=2")
	srv.SetFormat(formatA)
	const n, size = 30000, 100 // 3 MB, far more than socket buffers hold
	done := make(chan error, 1)
	go func() { done <- sendN(srv, n, size) }()

	time.Sleep(200 * time.Millisecond)
	if s := srv.Stats().Sent; s != 0 {
		t.Fatalf("WAIT output accepted %d messages with no client", s)
	}

	c := newClient(t, inputSpecFor(t, srv, "")) // connects on the first Recv
	first, changed, err := c.Recv()
	if err != nil || !changed || first != nil {
		t.Fatalf("first Recv: %v %v", changed, err)
	}
	// The client is connected but reads nothing: the sender must stall.
	waitClients(t, srv, 1)
	time.Sleep(300 * time.Millisecond)
	stalled := srv.Stats().Sent
	time.Sleep(200 * time.Millisecond)
	if s := srv.Stats().Sent; s != stalled || s >= n {
		t.Fatalf("sender went on (%d then %d of %d) while the client did not read",
			stalled, s, n)
	}
	got, err := recvNumbers(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	checkSequence(t, got, n)
	if s := srv.Stats(); s.Skipped != 0 {
		t.Fatalf("skipped %d containers under WAIT", s.Skipped)
	}
}

func TestNoWaitSkipsSlowClientAndNeverStalls(t *testing.T) {
	for _, spec := range []string{
		"u:nowait:timeout=NO_WAIT:buffer_size=1000:buffer_count=2",
		"u:nowait:timeout=5000:buffer_size=1000:buffer_count=2",
	} {
		t.Run(spec, func(t *testing.T) {
			srv := startServer(t, spec)
			srv.SetFormat(formatA)
			c := newClient(t, inputSpecFor(t, srv, ""))
			if _, changed, err := c.Recv(); err != nil || !changed {
				t.Fatalf("first Recv: %v %v", changed, err)
			}
			waitClients(t, srv, 1)
			const n, size = 100000, 100
			// Message 0 arrives before the client stalls, so that the sequence numbers
			// account for every later gap.
			srv.Send(numbered(0, size))
			srv.Flush()
			if m, _, err := c.Recv(); err != nil || binary.LittleEndian.Uint32(m) != 0 {
				t.Fatalf("message 0: %v", err)
			}
			done := make(chan error, 1)
			go func() { done <- sendFrom(srv, 1, n, size) }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("NO_WAIT sender stalled behind a client that does not read")
			}
			srv.Flush()
			got, err := recvNumbers(c)
			if err != nil {
				t.Fatal(err)
			}
			got = append([]int{0}, got...)
			if len(got) >= n {
				t.Fatalf("a client that did not read got all %d messages", len(got))
			}
			for i := 1; i < len(got); i++ {
				if got[i] <= got[i-1] {
					t.Fatalf("messages out of order: %d after %d", got[i], got[i-1])
				}
			}
			if srv.Stats().Skipped == 0 {
				t.Fatal("no skipped containers counted")
			}
			// Received plus missed (from the sequence numbers) accounts for every
			// message, the EOF marker included.
			if total := uint64(len(got)+1) + c.Missed(); total != n+1 {
				t.Fatalf("received %d + missed %d = %d, want %d", len(got)+1, c.Missed(),
					total, n+1)
			}
			if s := srv.Stats().SkippedRecords; s != c.Missed() {
				t.Fatalf("the server counts %d skipped messages, the client missed %d",
					s, c.Missed())
			}
		})
	}
}

func TestNoWaitAndHalfWaitDoNotWaitForClients(t *testing.T) {
	for _, spec := range []string{"u:x:timeout=NO_WAIT", "u:x:timeout=HALF_WAIT"} {
		t.Run(spec, func(t *testing.T) {
			srv := startServer(t, spec)
			srv.SetFormat(formatA)
			done := make(chan error, 1)
			go func() { done <- sendN(srv, 100000, 50) }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("sender blocked with no client")
			}
		})
	}
}

func TestMaxClientsRefusesExtraClient(t *testing.T) {
	srv := startServer(t, "u:max:max_clients=1")
	srv.SetFormat(formatA)
	first := readAll(dialRaw(t, srv))
	waitClients(t, srv, 1)
	second := dialRaw(t, srv)
	second.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(second)
	if err != nil || len(b) != 0 {
		t.Fatalf("refused client got %d bytes and %v, want nothing and a close", len(b), err)
	}
	srv.Send([]byte("x"))
	srv.Close()
	if b := <-first; len(b) == 0 {
		t.Fatal("the admitted client got nothing")
	}
}

func TestHelloIsImmediateAndUnknownFormatRefused(t *testing.T) {
	srv := startServer(t, "u:hello")
	conn := dialRaw(t, srv)
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	b, err := io.ReadAll(conn)
	if err != nil || string(b) != string(make([]byte, 8)) {
		t.Fatalf("without a format: got % x, %v; want an unknown hello and a close", b, err)
	}

	srv.SetFormat(formatA)
	conn = dialRaw(t, srv)
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(time.Second))
	want := wire.AppendHello(nil, formatA)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(conn, got); err != nil || string(got) != string(want) {
		t.Fatalf("hello: got % x, %v; want % x", got, err, want)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Fatalf("hello took %v; C clients give up after about 200 ms", d)
	}
}

func TestFormatChangeDisconnectsClients(t *testing.T) {
	srv := startServer(t, "u:change")
	srv.SetFormat(formatA)
	c := newClient(t, inputSpecFor(t, srv, ""))
	type event struct {
		msg     string
		changed string
		err     error
	}
	events := make(chan event, 10)
	go func() {
		for {
			m, changed, err := c.Recv()
			e := event{msg: string(m), err: err}
			if changed {
				e.changed = c.Format().Spec
			}
			events <- e
			if err != nil || (!changed && len(m) <= 1) {
				return
			}
		}
	}()
	if e := <-events; e.changed != formatA.Spec {
		t.Fatalf("first event %+v, want the change to format A", e)
	}
	srv.Send([]byte("old"))
	formatB := wire.Format{Type: wire.UniRec, Spec: "uint64 X"}
	if err := srv.SetFormat(formatB); err != nil {
		t.Fatal(err)
	}
	srv.Send([]byte("new"))
	srv.Send([]byte{0})
	srv.Flush()
	want := []event{{msg: "old"}, {changed: formatB.Spec}, {msg: "new"}, {msg: "\x00"}}
	for i, w := range want {
		select {
		case e := <-events:
			if e != w {
				t.Fatalf("event %d: %+v, want %+v", i, e, w)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("event %d: nothing came", i)
		}
	}
}

func TestAutoflush(t *testing.T) {
	tests := []struct {
		spec    string
		arrives bool
	}{
		{"u:af:autoflush=100000", true},
		{"u:af:autoflush=0x186a0", true}, // the same 100 ms in hexadecimal
		{"u:af:autoflush=off", false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			srv := startServer(t, tt.spec)
			srv.SetFormat(formatA)
			c := newClient(t, inputSpecFor(t, srv, ":timeout=1500000"))
			if _, changed, err := c.Recv(); !changed || err != nil {
				t.Fatalf("first Recv: %v %v", changed, err)
			}
			waitClients(t, srv, 1)
			srv.Send([]byte("lonely"))
			m, _, err := c.Recv()
			if tt.arrives && (err != nil || string(m) != "lonely") {
				t.Fatalf("got %q, %v; want the message within the timeout", m, err)
			}
			if !tt.arrives && !errors.Is(err, ErrTimeout) {
				t.Fatalf("got %q, %v; want a timeout", m, err)
			}
		})
	}
}

func TestUnixSocketPath(t *testing.T) {
	srv := startServer(t, "u:pathcheck")
	dir := os.Getenv("TRAP_SOCKET_DIR")
	want := dir + "/trap-pathcheck.sock"
	if srv.spec.SocketPath != want {
		t.Fatalf("socket path %s, want %s", srv.spec.SocketPath, want)
	}
	st, err := os.Stat(want)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o666 {
		t.Fatalf("socket mode %v, want a socket with 0666", st.Mode())
	}
	srv.Close()
	if _, err := os.Stat(want); !os.IsNotExist(err) {
		t.Fatalf("socket file still there after Close: %v", err)
	}
}

func TestUnixSocketReplacesStaleFile(t *testing.T) {
	s := outputSpec(t, "u:stale")
	if err := os.WriteFile(s.SocketPath, []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(s)
	if err != nil {
		t.Fatalf("stale file not replaced: %v", err)
	}
	srv.Close()
}

func TestSendRejectsMessageLargerThanContainer(t *testing.T) {
	srv := startServer(t, "u:big:buffer_size=100:timeout=NO_WAIT")
	srv.SetFormat(formatA)
	if err := srv.Send(make([]byte, 84)); err != nil {
		t.Fatalf("84-byte message in a 100-byte container: %v", err)
	}
	if err := srv.Send(make([]byte, 85)); err == nil {
		t.Fatal("85-byte message accepted in a 100-byte container")
	}
	if err := srv.Send(make([]byte, 70000)); err == nil {
		t.Fatal("70000-byte message accepted")
	}
}

func TestClosedServerRefusesSend(t *testing.T) {
	srv := startServer(t, "u:closed")
	srv.SetFormat(formatA)
	srv.Close()
	if err := srv.Send([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close: %v, want ErrClosed", err)
	}
}

// TestHalfWaitBackpressure: once a client is there, HALF_WAIT waits for it like WAIT.
func TestHalfWaitBackpressure(t *testing.T) {
	srv := startServer(t, "u:half:timeout=HALF_WAIT:buffer_size=1000:buffer_count=2")
	srv.SetFormat(formatA)
	c := newClient(t, inputSpecFor(t, srv, ""))
	if _, changed, err := c.Recv(); err != nil || !changed {
		t.Fatalf("first Recv: %v %v", changed, err)
	}
	waitClients(t, srv, 1)
	const n = 30000
	done := make(chan error, 1)
	go func() { done <- sendN(srv, n, 100) }()
	time.Sleep(300 * time.Millisecond)
	if s := srv.Stats().Sent; s >= n {
		t.Fatalf("sender finished all %d messages while the client did not read", s)
	}
	got, err := recvNumbers(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	checkSequence(t, got, n)
}

// TestClientLeavesAndComes: a client that goes away does not disturb the server, and
// a new client gets the data sent after it joined.
func TestClientLeavesAndComes(t *testing.T) {
	srv := startServer(t, "u:again:timeout=HALF_WAIT")
	srv.SetFormat(formatA)
	first := newClient(t, inputSpecFor(t, srv, ""))
	first.Recv()
	waitClients(t, srv, 1)
	srv.Send(numbered(0, 8))
	srv.Flush()
	if m, _, err := first.Recv(); err != nil || binary.LittleEndian.Uint32(m) != 0 {
		t.Fatalf("first client: %v", err)
	}
	first.Close()
	waitClients(t, srv, 0)
	srv.Send(numbered(1, 8)) // nobody is there: dropped under HALF_WAIT
	srv.Flush()

	second := newClient(t, inputSpecFor(t, srv, ""))
	second.Recv()
	waitClients(t, srv, 1)
	if err := sendFrom(srv, 2, 5, 8); err != nil {
		t.Fatal(err)
	}
	srv.Flush()
	got, err := recvNumbers(second)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != 2 || got[2] != 4 {
		t.Fatalf("second client got %v, want [2 3 4]", got)
	}
}

func TestSendUnblocksOnClose(t *testing.T) {
	srv := startServer(t, "u:unblock")
	srv.SetFormat(formatA)
	done := make(chan error, 1)
	go func() { done <- srv.Send([]byte("x")) }()
	time.Sleep(100 * time.Millisecond)
	srv.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Send: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Send waiting for a client did not return on Close")
	}
}

// TestNoWaitCloseDoesNotHang: Close of a NO_WAIT output gives up on a client that
// stopped reading.
func TestNoWaitCloseDoesNotHang(t *testing.T) {
	srv := startServer(t, "u:stuck:timeout=NO_WAIT:buffer_size=1000:buffer_count=2")
	srv.SetFormat(formatA)
	dialRaw(t, srv) // connected, never reads
	waitClients(t, srv, 1)
	if err := sendN(srv, 30000, 100); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		srv.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(noWaitDrainLimit + 5*time.Second):
		t.Fatal("Close hung on a client that does not read")
	}
}
