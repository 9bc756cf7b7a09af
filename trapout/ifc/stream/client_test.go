package stream

import (
	"bytes"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

// fakeServer accepts one connection per stream on a UNIX socket, writes the stream
// and closes the connection. It returns the input specifier that reaches it.
func fakeServer(t *testing.T, streams ...[]byte) ifc.Spec {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TRAP_SOCKET_DIR", dir)
	ln, err := net.Listen("unix", filepath.Join(dir, "trap-fake.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for _, s := range streams {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Write(s)
			conn.Close()
		}
	}()
	specs, err := ifc.Parse("u:fake", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	return specs[0]
}

func newClient(t *testing.T, s ifc.Spec) *Client {
	t.Helper()
	c, err := NewClient(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// recvAll reads messages until the EOF marker and returns them without it.
func recvAll(t *testing.T, c *Client) [][]byte {
	t.Helper()
	var got [][]byte
	for {
		m, changed, err := c.Recv()
		if err != nil {
			t.Fatalf("after %d messages: %v", len(got), err)
		}
		if changed {
			continue
		}
		if len(m) <= 1 {
			return got
		}
		got = append(got, append([]byte(nil), m...))
	}
}

func TestClientDecodesCaptures(t *testing.T) {
	for _, name := range []string{"tcp_session.pcap", "tcp_session_nobuf.pcap"} {
		t.Run(name, func(t *testing.T) {
			stream := serverStream(t, name)
			format, want, _ := splitStream(t, stream)
			c := newClient(t, fakeServer(t, stream))
			_, changed, err := c.Recv()
			if err != nil || !changed {
				t.Fatalf("first Recv: changed=%v err=%v, want a format change", changed, err)
			}
			if c.Format() != format {
				t.Fatalf("format %q, want %q", c.Format().Spec, format.Spec)
			}
			got := recvAll(t, c)
			if len(got) != len(want)-1 {
				t.Fatalf("got %d records, want %d", len(got), len(want)-1)
			}
			for i := range got {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("record %d differs", i)
				}
			}
			if c.Missed() != 0 {
				t.Fatalf("missed %d messages, want 0", c.Missed())
			}
		})
	}
}

// makeContainer builds one container holding msgs.
func makeContainer(seq uint64, msgs ...[]byte) []byte {
	b := make([]byte, wire.ContainerHeaderSize)
	for _, m := range msgs {
		b = wire.AppendMessage(b, m)
	}
	wire.PutContainerHeader(b, wire.ContainerHeader{
		PayloadLen: uint32(len(b) - wire.ContainerHeaderSize),
		Seq:        seq,
		Count:      uint16(len(msgs)),
	})
	return b
}

func hello(spec string) []byte {
	return wire.AppendHello(nil, wire.Format{Type: wire.UniRec, Spec: spec})
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestClientReconnectDropsPartialContainer(t *testing.T) {
	full := makeContainer(0, []byte("first"), []byte("second"), []byte{0})
	s := fakeServer(t,
		cat(hello("uint32 A"), full[:len(full)-4]), // dies inside the container
		cat(hello("uint32 A"), makeContainer(0, []byte("again"), []byte{0})),
	)
	c := newClient(t, s)
	got := recvAll(t, c)
	if len(got) != 1 || string(got[0]) != "again" {
		t.Fatalf("got %q, want only the second connection's record", got)
	}
}

func TestClientFormatChangeOnReconnect(t *testing.T) {
	s := fakeServer(t,
		cat(hello("uint32 A"), makeContainer(0, []byte("a1"), []byte{0})),
		cat(hello("uint32 A,uint32 B"), makeContainer(0, []byte("b1"), []byte{0})),
	)
	c := newClient(t, s)
	c.SetRequired(wire.Format{Type: wire.UniRec, Spec: "uint32 A"})
	if got := recvAll(t, c); len(got) != 1 || string(got[0]) != "a1" {
		t.Fatalf("first connection gave %q", got)
	}
	_, changed, err := c.Recv()
	if err != nil || !changed || c.Format().Spec != "uint32 A,uint32 B" {
		t.Fatalf("after reconnect: changed=%v err=%v format %q; want the new template",
			changed, err, c.Format().Spec)
	}
	if got := recvAll(t, c); len(got) != 1 || string(got[0]) != "b1" {
		t.Fatalf("second connection gave %q", got)
	}
}

func TestClientRejectsBadInput(t *testing.T) {
	oversized := make([]byte, wire.ContainerHeaderSize)
	wire.PutContainerHeader(oversized, wire.ContainerHeader{PayloadLen: wire.MaxPayload + 1})
	tests := []struct {
		name, req string
		stream    []byte
		want      string
	}{
		{"oversized container", "", cat(hello("uint32 A"), oversized),
			"over the limit of 100001"},
		{"message past container end", "",
			cat(hello("uint32 A"), []byte{0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 9, 1, 2}),
			"runs past the container's end"},
		{"missing field", "uint32 A,string B", cat(hello("uint32 A")),
			"lacks field \"string B\""},
		{"wrong type", "uint64 A", cat(hello("uint32 A")), "lacks field \"uint64 A\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, fakeServer(t, tt.stream))
			c.SetRequired(wire.Format{Type: wire.UniRec, Spec: tt.req})
			var err error
			for range 3 {
				if _, _, err = c.Recv(); err != nil {
					break
				}
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestClientGarbageHelloTimesOut(t *testing.T) {
	s := fakeServer(t, []byte{9, 0, 0, 0, 0, 0, 0, 0})
	s.Timeout = 100000
	c := newClient(t, s)
	_, _, err := c.Recv()
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "unknown data type 9") {
		t.Fatalf("error %v, want a timeout naming the bad data type", err)
	}
}

// TestClientWaitsForServer: under WAIT a client started before its server keeps
// trying and gets the data once the server is up.
func TestClientWaitsForServer(t *testing.T) {
	s := outputSpec(t, "u:late")
	in, err := ifc.Parse("u:late", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, in[0])
	got := make(chan []int, 1)
	go func() {
		n, err := recvNumbers(c)
		if err != nil {
			t.Error(err)
		}
		got <- n
	}()
	time.Sleep(1500 * time.Millisecond) // at least one failed attempt and a retry
	srv, err := NewServer(s)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.SetFormat(formatA)
	if err := sendN(srv, 3, 8); err != nil {
		t.Fatal(err)
	}
	srv.Flush()
	select {
	case n := <-got:
		checkSequence(t, n, 3)
	case <-time.After(10 * time.Second):
		t.Fatal("client never got the data of a late server")
	}
}

func TestClientNoWaitTimesOut(t *testing.T) {
	srv := startServer(t, "u:idle")
	srv.SetFormat(formatA)
	c := newClient(t, inputSpecFor(t, srv, ":timeout=NO_WAIT"))
	if _, changed, err := c.Recv(); err != nil || !changed {
		t.Fatalf("first Recv: %v %v", changed, err)
	}
	start := time.Now()
	_, _, err := c.Recv()
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Recv with nothing to read: %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("NO_WAIT Recv took %v", d)
	}
	srv.Send([]byte("now"))
	srv.Flush()
	for i := 0; ; i++ {
		m, _, err := c.Recv()
		if err == nil {
			if string(m) != "now" {
				t.Fatalf("got %q", m)
			}
			break
		}
		if !errors.Is(err, ErrTimeout) || i > 1000 {
			t.Fatalf("polling: %v", err)
		}
	}
}

// TestCloseEndsBlockedRecv: Close from another goroutine ends a Recv that waits for a
// server that is not there.
func TestCloseEndsBlockedRecv(t *testing.T) {
	s, err := ifc.Parse("u:nobody-listens", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s[0])
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Recv()
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Recv: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Recv did not return after Close")
	}
}
