package trapout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/trapout/service"
)

// askStats requests the statistics on the service socket at path, as the supervisor
// does, and returns the decoded JSON document.
func askStats(t *testing.T, path string) map[string]any {
	t.Helper()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	// {uint8 com; uint32 data_size} as a C compiler lays it out: 3 padding bytes.
	if _, err := conn.Write([]byte{10, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	var hdr [8]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		t.Fatal(err)
	}
	size := int(hdr[4]) | int(hdr[5])<<8 | int(hdr[6])<<16 | int(hdr[7])<<24
	if hdr[0] != 12 || size == 0 {
		t.Fatalf("reply header % x", hdr)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(conn, body); err != nil {
		t.Fatal(err)
	}
	if body[size-1] != 0 || bytes.IndexByte(body, 0) != size-1 {
		t.Fatalf("reply is not one NUL-terminated string: %q", body)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(body[:size-1]))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("reply %q: %v", body, err)
	}
	return doc
}

// keysOf returns the sorted keys of a JSON object.
func keysOf(t *testing.T, v any) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v is not an object", v)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func wantKeys(t *testing.T, what string, v any, want ...string) map[string]any {
	t.Helper()
	slices.Sort(want)
	if got := keysOf(t, v); !slices.Equal(got, want) {
		t.Fatalf("%s keys %q, want %q", what, got, want)
	}
	return v.(map[string]any)
}

func wantNumber(t *testing.T, m map[string]any, key string, want uint64) {
	t.Helper()
	n, ok := m[key].(json.Number)
	if !ok || n.String() != fmt.Sprint(want) {
		t.Errorf("%s = %#v, want the integer %d", key, m[key], want)
	}
}

// A module with a u: input fed by its own u: output: after n records both ways the
// service reports exactly libtrap's keys with the counts that went through.
func TestServiceReportsCounters(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TRAP_SOCKET_DIR", dir)
	ctx, err := OpenWith("u:svcloop,u:svcloop:buffer_count=4:buffer_size=1000", 1, 1,
		Options{ServiceName: "svc-counters"})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	if got, want := ctx.ServicePath(), filepath.Join(dir, "trap-svc-counters.sock"); got != want {
		t.Fatalf("ServicePath %s, want %s", got, want)
	}
	out, in := ctx.Output(0), ctx.Input(0)
	if err := out.SetFormat("uint32 N"); err != nil {
		t.Fatal(err)
	}
	in.SetTimeout(Timeout(5_000_000))
	const n = 5000 // 6 bytes each in containers of 1000: some 30 containers
	go func() {
		rec := make([]byte, 4)
		for i := range n {
			rec[0] = byte(i)
			out.Send(rec)
		}
		out.SendEOF()
		out.Flush()
	}()
	// A supervisor polling during the transfer: under -race this checks that the
	// counters are read safely while records move.
	stop := make(chan struct{})
	polled := make(chan int)
	go func() {
		polls := 0
		for {
			select {
			case <-stop:
				polled <- polls
				return
			default:
				ctx.Report()
				polls++
			}
		}
	}()
	got := 0
	for {
		_, err := in.Recv()
		if errors.Is(err, ErrFormatChanged) {
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got++
	}
	close(stop)
	if polls := <-polled; polls == 0 {
		t.Fatal("no report was taken during the transfer")
	}
	if got != n {
		t.Fatalf("received %d records, want %d", got, n)
	}

	doc := askStats(t, ctx.ServicePath())
	wantKeys(t, "root", doc, "in_cnt", "out_cnt", "in", "out")
	wantNumber(t, doc, "in_cnt", 1)
	wantNumber(t, doc, "out_cnt", 1)
	ins, outs := doc["in"].([]any), doc["out"].([]any)
	if len(ins) != 1 || len(outs) != 1 {
		t.Fatalf("in %v, out %v", doc["in"], doc["out"])
	}
	i := wantKeys(t, "input", ins[0], "ifc_state", "ifc_id", "ifc_type", "messages",
		"buffers", "delay_last", "delay_total")
	wantNumber(t, i, "ifc_state", 1)
	wantNumber(t, i, "ifc_type", 'u')
	wantNumber(t, i, "messages", n+1) // the end-of-data marker is a message too
	if i["ifc_id"] != "svcloop" {
		t.Errorf("input ifc_id %v", i["ifc_id"])
	}
	containers := out.Stats().Containers
	if containers < 2 {
		t.Fatalf("only %d containers: the test needs several", containers)
	}
	wantNumber(t, i, "buffers", containers)

	o := wantKeys(t, "output", outs[0], "num_clients", "ifc_id", "ifc_type",
		"sent-messages", "dropped-messages", "buffers", "autoflushes", "client_stats_arr")
	wantNumber(t, o, "num_clients", 1)
	wantNumber(t, o, "ifc_type", 'u')
	wantNumber(t, o, "sent-messages", n+1)
	wantNumber(t, o, "dropped-messages", 0)
	wantNumber(t, o, "buffers", containers)
	wantNumber(t, o, "autoflushes", 1) // the explicit Flush of the last container
	if o["ifc_id"] != "svcloop" {
		t.Errorf("output ifc_id %v", o["ifc_id"])
	}
	clients := o["client_stats_arr"].([]any)
	if len(clients) != 2 {
		t.Fatalf("client_stats_arr %v, want the input summary and one client", clients)
	}
	clientKeys := []string{"id", "sent_containers", "sent_messages", "skipped_messages",
		"skipped_percentage"}
	sum := wantKeys(t, "input summary", clients[0], clientKeys...)
	cl := wantKeys(t, "client", clients[1], clientKeys...)
	if sum["id"] != service.SummaryID {
		t.Errorf("first entry id %v", sum["id"])
	}
	wantNumber(t, cl, "id", uint64(os.Getpid())) // the input is this process
	for _, m := range []map[string]any{sum, cl} {
		if m["sent_containers"] != fmt.Sprint(containers) ||
			m["sent_messages"] != fmt.Sprint(n+1) || m["skipped_messages"] != "0" {
			t.Errorf("client entry %v: want %d containers, %d messages as strings",
				m, containers, n+1)
		}
		if p, ok := m["skipped_percentage"].(json.Number); !ok || p != "0.0" {
			t.Errorf("skipped_percentage %#v, want the real 0.0", m["skipped_percentage"])
		}
	}
}

func TestServiceSocketLifetime(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TRAP_SOCKET_DIR", dir)
	ctx, err := Open("b:", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("trap-service_%d.sock", os.Getpid()))
	if ctx.ServicePath() != path {
		t.Fatalf("ServicePath %q, want %q", ctx.ServicePath(), path)
	}
	out := ctx.Output(0)
	out.SetDataFormat(Raw, "")
	for range 3 {
		out.Send([]byte{1, 2})
	}
	out.Send(make([]byte, 70000)) // refused: longer than a message can be
	doc := askStats(t, path)
	o := doc["out"].([]any)[0].(map[string]any)
	wantNumber(t, o, "sent-messages", 3)
	wantNumber(t, o, "dropped-messages", 1)
	wantNumber(t, o, "num_clients", 1)
	if o["ifc_id"] != "none" || len(o["client_stats_arr"].([]any)) != 0 {
		t.Errorf("blackhole output %v", o)
	}
	if err := ctx.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("service socket after Close: %v", err)
	}
}

func TestServiceDisabledOrUnavailable(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TRAP_SOCKET_DIR", dir)
	off, err := OpenWith("b:", 0, 1, Options{NoService: true})
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	if off.ServicePath() != "" || off.ServiceErr() != nil {
		t.Fatalf("disabled service: path %q, error %v", off.ServicePath(), off.ServiceErr())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("disabled service left %v in the socket directory", entries)
	}

	first, err := OpenWith("b:", 0, 1, Options{ServiceName: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	for _, name := range []string{"shared", "a/b"} {
		var log strings.Builder
		second, err := OpenWith("b:", 0, 1, Options{ServiceName: name, ServiceLog: &log})
		if err != nil {
			t.Fatalf("%s: a missing service socket must not fail Open: %v", name, err)
		}
		if second.ServiceErr() == nil || second.ServicePath() != "" {
			t.Errorf("%s: service error %v, path %q", name, second.ServiceErr(),
				second.ServicePath())
		}
		if strings.Count(log.String(), "\n") != 1 ||
			!strings.Contains(log.String(), second.ServiceErr().Error()) {
			t.Errorf("%s: logged %q", name, log.String())
		}
		second.Output(0).SetDataFormat(Raw, "")
		if err := second.Output(0).Send([]byte{1}); err != nil {
			t.Errorf("%s: module without service socket cannot send: %v", name, err)
		}
		second.Close()
	}
	wantNumber(t, askStats(t, first.ServicePath()), "out_cnt", 1)
}

// A supervisor connected while the module closes must not hold Close up.
func TestCloseWithSupervisorConnected(t *testing.T) {
	t.Setenv("TRAP_SOCKET_DIR", t.TempDir())
	ctx, err := Open("b:", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("unix", ctx.ServicePath())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	done := make(chan error)
	go func() { done <- ctx.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked while a supervisor was connected")
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	// EOF if the server had accepted, a reset if it was still in the backlog.
	_, err = conn.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); err == nil || ok && ne.Timeout() {
		t.Fatalf("supervisor read after Close: %v, want the connection ended", err)
	}
}

// The receive delays count the time the module spends between Recv calls, whether
// the calls read a new container or take the next message of the one at hand.
func TestServiceReceiveDelays(t *testing.T) {
	for _, buffered := range []string{"on", "off"} {
		t.Run("buffer="+buffered, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "delays.trapcap")
			w, err := OpenWith("f:"+path+":buffer="+buffered, 0, 1, Options{NoService: true})
			if err != nil {
				t.Fatal(err)
			}
			w.Output(0).SetFormat("uint32 N")
			for range 3 {
				w.Output(0).Send([]byte{1, 2, 3, 4})
			}
			w.Close()
			r, err := OpenWith("f:"+path, 1, 0, Options{NoService: true})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			in := r.Input(0)
			const pause = 20 * time.Millisecond
			for {
				_, err := in.Recv()
				if err == io.EOF {
					break
				}
				if err != nil && !errors.Is(err, ErrFormatChanged) {
					t.Fatal(err)
				}
				time.Sleep(pause)
			}
			e := r.Report().In[0]
			// Four pauses: after the format change and after each record.
			if min := uint64(4 * pause / time.Microsecond); e.DelayTotal < min ||
				e.DelayTotal > 20*min {
				t.Errorf("delay_total %d µs, want about %d", e.DelayTotal, min)
			}
			if e.DelayLast < uint64(pause/time.Microsecond)/2 || e.DelayLast > e.DelayTotal {
				t.Errorf("delay_last %d µs after pauses of %v", e.DelayLast, pause)
			}
			if e.Messages != 4 { // three records and the end of data
				t.Errorf("messages %d, want 4", e.Messages)
			}
		})
	}
}

// File interfaces report the buffers written and read, their path as ifc_id, one
// client and no client list, as libtrap's file interface does.
func TestServiceFileCounters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "counted.trapcap")
	w, err := OpenWith("f:"+path+":buffer=off", 0, 1, Options{NoService: true})
	if err != nil {
		t.Fatal(err)
	}
	w.Output(0).SetFormat("uint32 N")
	for range 3 {
		w.Output(0).Send([]byte{1, 2, 3, 4})
	}
	o := w.Report().Out[0]
	if o.ID != path || o.Type != 'f' || o.Clients != 1 || o.Sent != 3 || o.Buffers != 3 ||
		len(o.ClientStats) != 0 {
		t.Errorf("file output %+v", o)
	}
	w.Close()
	r, err := OpenWith("f:"+path, 1, 0, Options{NoService: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for n := 0; ; n++ {
		_, err := r.Input(0).Recv()
		if err == io.EOF {
			break
		}
		if n > 10 || err != nil && !errors.Is(err, ErrFormatChanged) {
			t.Fatalf("receive %d: %v", n, err)
		}
	}
	i := r.Report().In[0]
	if i.ID != path || i.Type != 'f' || i.State != 1 || i.Buffers != 3 || i.Messages != 4 {
		t.Errorf("file input %+v", i)
	}
}

// A TCP client is named by its remote port, and both sides by the port number.
func TestServiceTCPNames(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	ctx, err := OpenWith("t:localhost:"+port+",t:"+port, 1, 1, Options{NoService: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	ctx.Output(0).SetFormat("uint32 N")
	ctx.Input(0).SetTimeout(Timeout(5_000_000))
	go func() {
		ctx.Output(0).Send([]byte{1, 2, 3, 4})
		ctx.Output(0).Flush()
	}()
	for n := 0; ; n++ {
		msg, err := ctx.Input(0).Recv()
		if msg != nil {
			break
		}
		if n > 10 || err != nil && !errors.Is(err, ErrFormatChanged) {
			t.Fatalf("receive %d: %v", n, err)
		}
	}
	r := ctx.Report()
	if r.In[0].ID != port || r.Out[0].ID != port || r.In[0].Type != 't' {
		t.Errorf("ids %q and %q, want %q", r.In[0].ID, r.Out[0].ID, port)
	}
	cl := r.Out[0].ClientStats
	if len(cl) != 2 {
		t.Fatalf("client_stats_arr %v", cl)
	}
	id := cl[1].(service.SocketClient).ID.(uint32)
	if id == 0 || fmt.Sprint(id) == port {
		t.Errorf("client id %d: want the client's own port", id)
	}
}
