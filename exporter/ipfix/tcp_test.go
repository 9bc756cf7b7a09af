package ipfix

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// tcpCollector accepts IPFIX sessions and keeps the bytes of each.
type tcpCollector struct {
	ln       net.Listener
	mu       sync.Mutex
	sessions [][]byte
	conns    []net.Conn
	wg       sync.WaitGroup
}

func newTCPCollector(t *testing.T, addr string) *tcpCollector {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen tcp %s: %v", addr, err)
	}
	return collectOn(t, ln)
}

// collectOn serves the collector on ln, which may be a TLS listener.
func collectOn(t *testing.T, ln net.Listener) *tcpCollector {
	c := &tcpCollector{ln: ln}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.mu.Lock()
			i := len(c.sessions)
			c.sessions = append(c.sessions, nil)
			c.conns = append(c.conns, conn)
			c.mu.Unlock()
			c.wg.Add(1)
			go c.read(conn, i)
		}
	}()
	t.Cleanup(c.stop)
	return c
}

func (c *tcpCollector) read(conn net.Conn, i int) {
	defer c.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, err := conn.Read(buf)
		c.mu.Lock()
		c.sessions[i] = append(c.sessions[i], buf[:n]...)
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// stop closes the listener and every session, as a collector that dies would.
func (c *tcpCollector) stop() {
	_ = c.ln.Close()
	c.mu.Lock()
	for _, conn := range c.conns {
		_ = conn.Close()
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// session returns a copy of the bytes received on the i-th connection.
func (c *tcpCollector) session(i int) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i >= len(c.sessions) {
		return nil
	}
	return append([]byte(nil), c.sessions[i]...)
}

// waitRecords waits until session i holds n whole data records.
func (c *tcpCollector) waitRecords(t *testing.T, i, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		msgs, err := decodeStream(c.session(i), map[uint16][]templateField{})
		got := 0
		for _, m := range msgs {
			got += len(m.records)
		}
		if err == nil && got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %d: %d records after 5 s, want %d (%v)", i, got, n, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitFor calls Flush, as the flow engine does when idle, until cond holds.
func waitFor(t *testing.T, e *Exporter, what string, cond func(Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond(e.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 5 s: %+v", what, e.Stats())
		}
		_ = e.Flush()
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTCPCollectorRestart kills the collector mid-export and starts it again: the
// exporter must reconnect, send the templates (the tunnel ones too) first on the new
// session, deliver what it buffered up to its bound, count what it dropped, and go on.
func TestTCPCollectorRestart(t *testing.T) {
	records := sampleRecords(330)
	first, outage, after := records[:50], records[50:300], records[300:]

	col1 := newTCPCollector(t, "127.0.0.1:0")
	addr := col1.ln.Addr().String()
	e, err := New(Options{Address: addr, Transport: TCP, ObservationDomainID: 11,
		Tunnels: true, BufferRecords: 100, ReconnectMin: 10 * time.Millisecond,
		ReconnectMax: 50 * time.Millisecond, CloseTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, "first connection", func(s Stats) bool { return s.Connected })
	if err := e.Export(first); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	col1.waitRecords(t, 0, len(first))

	col1.stop()
	waitFor(t, e, "disconnect noticed", func(s Stats) bool { return !s.Connected })
	reported := droppedBy(t, e.Export(outage), ErrBufferFull)
	reported += droppedBy(t, e.Flush(), ErrBufferFull)
	st := e.Stats()
	if st.RecordsDropped == 0 || uint64(reported) != st.RecordsDropped ||
		st.Buffered == 0 || st.Buffered > 100 || st.Buffered+st.RecordsDropped != 250 {
		t.Fatalf("during the outage: %d reported dropped, stats %+v; want 1..100 buffered "+
			"and the rest of 250 dropped and reported", reported, st)
	}
	buffered := int(st.Buffered)

	col2 := newTCPCollector(t, addr)
	waitFor(t, e, "reconnection", func(s Stats) bool { return s.Connected && s.Buffered == 0 })
	if err := e.Export(after); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	col2.waitRecords(t, 0, buffered+len(after))
	col2.stop()

	st = e.Stats()
	want := Stats{RecordsSent: uint64(50 + buffered + 30), RecordsDropped: uint64(250 - buffered),
		Connects: 2, Disconnects: 1, TemplatesSent: 2, MessagesSent: st.MessagesSent}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}

	for i, s := range []struct {
		bytes []byte
		want  int
	}{{col1.session(0), len(first)}, {col2.session(0), buffered + len(after)}} {
		msgs, err := decodeStream(s.bytes, map[uint16][]templateField{})
		if err != nil || len(msgs) == 0 || len(msgs[0].templates) != 6 || msgs[0].seq != 0 {
			t.Fatalf("session %d does not open with the six templates at sequence 0: %v",
				i, err)
		}
	}
	if _, err := exec.LookPath("ipfixDump"); err != nil {
		t.Skipf("ipfixDump is not installed, sessions checked without it: %v", err)
	}
	checkDump(t, ipfixDump(t, col1.session(0)), 11, first, encoding{tunnels: true})
	resent := keptInOrder(t, col2.session(0), outage, buffered)
	checkDump(t, ipfixDump(t, col2.session(0)), 11, append(resent, after...),
		encoding{tunnels: true})
}

// keptInOrder returns the records of outage that stream, a session after an outage,
// carries before anything else: n of them, in their order. Which ones the buffer
// kept depends on how many records each message held, as a full buffer refuses a
// whole message, so they are found by source address and port, which tell the
// sample records apart.
func keptInOrder(t *testing.T, stream []byte, outage []flow.Record, n int) []flow.Record {
	t.Helper()
	msgs, err := decodeStream(stream, map[uint16][]templateField{})
	if err != nil {
		t.Fatal(err)
	}
	var kept []flow.Record
	next := 0
	for _, m := range msgs {
		for _, rec := range m.records {
			if len(kept) == n {
				return kept
			}
			src := rec[fieldKey{0, 8}]
			if src == nil {
				src = rec[fieldKey{0, 27}]
			}
			port := uint16(readUint(rec, 0, 7))
			for next < len(outage) && (outage[next].SrcPort != port ||
				!bytes.Equal(outage[next].SrcIP().AsSlice(), src)) {
				next++
			}
			if next == len(outage) {
				t.Fatalf("record %d after the outage is none of the outage's, or out of"+
					" order", len(kept))
			}
			kept = append(kept, outage[next])
			next++
		}
	}
	if len(kept) != n {
		t.Fatalf("%d records of the outage resent, want %d", len(kept), n)
	}
	return kept
}

// TestTCPBufferBound exports to a port nobody listens on: records beyond the bound
// are dropped at once, the rest when Close gives up waiting.
func TestTCPBufferBound(t *testing.T) {
	e, err := New(Options{Address: "127.0.0.1:" + strconv.Itoa(freeTCPPort(t)), Transport: TCP,
		BufferRecords: 50, CloseTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	reported := droppedBy(t, e.Export(sampleRecords(200)), ErrBufferFull)
	if st := e.Stats(); st.Buffered == 0 || st.Buffered > 50 || st.Connected ||
		st.RecordsDropped != uint64(reported) {
		t.Errorf("stats %+v, want 1..50 buffered, no connection, %d dropped", st, reported)
	}
	reported += droppedBy(t, e.Close(), ErrBufferFull, ErrNotDelivered)
	if st := e.Stats(); st.RecordsDropped != 200 || reported != 200 || st.Buffered != 0 ||
		st.RecordsSent != 0 {
		t.Errorf("stats after close %+v, %d reported dropped; want all 200 dropped", st,
			reported)
	}
	if err := e.Export(sampleRecords(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("export after close: %v, want ErrClosed", err)
	}
}

// droppedBy returns the records err reports dropped, 0 for nil, and fails the test
// if err is anything but a *DroppedError with one of the causes.
func droppedBy(t *testing.T, err error, causes ...error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var de *DroppedError
	if !errors.As(err, &de) {
		t.Fatalf("error %v is not a *DroppedError", err)
	}
	if want := fmt.Sprintf("%d records for %s dropped", de.Records, de.Collector); de.Records <= 0 ||
		!strings.Contains(err.Error(), want) {
		t.Errorf("error %q: want a positive count and %q", err, want)
	}
	for _, c := range causes {
		if errors.Is(err, c) {
			return de.Records
		}
	}
	t.Fatalf("error %v: cause is none of %v", err, causes)
	return 0
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestTCPStalledCollector connects to a collector that accepts but never reads.
// Once the socket buffers are full a write times out; the exporter must drop that
// connection instead of blocking the flow engine, keep the records, and try again.
func TestTCPStalledCollector(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, conn) // never read
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range held {
			_ = c.Close()
		}
		mu.Unlock()
	})

	e, err := New(Options{Address: ln.Addr().String(), Transport: TCP,
		WriteTimeout: 100 * time.Millisecond, ReconnectMin: 10 * time.Millisecond,
		BufferRecords: 1 << 20, CloseTimeout: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, "connection", func(s Stats) bool { return s.Connected })
	records := sampleRecords(4096)
	exported := uint64(0)
	start := time.Now()
	for i := 0; e.Stats().WriteErrors == 0; i++ {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("no write timed out after %d batches: %+v", i, e.Stats())
		}
		if err := e.Export(records); err != nil {
			t.Fatalf("export with room in the buffer: %v", err)
		}
		exported += uint64(len(records))
	}
	_ = e.Flush() // may time out again on the next stalled connection; nothing is lost
	st := e.Stats()
	if st.Disconnects == 0 || st.RecordsDropped != 0 || st.RecordsSent+st.Buffered != exported {
		t.Errorf("after a write timeout: %+v; want a disconnect, nothing dropped, and %d "+
			"records sent or buffered", st, exported)
	}
	_ = e.Close()
}
