package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
)

// TestMetricsEndpoint keeps flowprobe running on a TRAP output no module reads and
// scrapes /metrics: the engine, the trace source and the output must be there.
func TestMetricsEndpoint(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	name := fmt.Sprintf("flowprobe-metrics-%d", os.Getpid())
	t.Cleanup(func() { os.Remove(ifc.SocketPath(name)) })
	cmd := exec.Command(binary, "-r", "../../../testdata/pcap/tcpreplay-test.pcap",
		"-i", "u:"+name, "--metrics", addr, "-v")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}()
	started := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			if strings.Contains(sc.Text(), `"started"`) {
				started <- true
			}
		}
		close(started)
	}()
	select {
	case ok := <-started:
		if !ok {
			t.Fatal("flowprobe ended before it started")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("flowprobe did not start within 10 s")
	}

	var body string
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(data)
			if strings.Contains(body, "flowprobe_parser_frames_total") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no engine metrics within 5 s (%v):\n%s", err, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{"flowprobe_flows_active", `source="pcap"`,
		`output="trap:u:` + name + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
