package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/packet"
	"github.com/flowprobe/flowprobe/probe/pcapfile"
)

// parserCount runs the packet parser alone over a trace and counts the IP packets and
// bytes it turns into flow packets: what flowprobe's records must add up to.
type parserCount struct {
	parser         *packet.Parser
	pkt            flow.Packet
	packets, bytes uint64
}

func (c *parserCount) HandleFrame(f *capture.Frame) {
	if c.parser.Parse(f, &c.pkt) == packet.OK {
		c.packets++
		c.bytes += uint64(c.pkt.IPBytes)
	}
}

func (c *parserCount) Tick(int64) {}

func countTrace(t *testing.T, path string) (packets, bytes uint64, runErr error) {
	t.Helper()
	src, err := pcapfile.Open(path, pcapfile.Options{NoProgress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	c := &parserCount{parser: packet.NewParser(packet.Options{})}
	runErr = src.Run(context.Background(), []capture.Handler{c})
	return c.packets, c.bytes, runErr
}

// readJSON reads flowprobe's JSON lines.
func readJSON(t *testing.T, path string) []row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []row
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			t.Fatalf("%s: line %d is not JSON: %v", path, len(rows)+1, err)
		}
		r := row{}
		for k, v := range obj {
			switch v := v.(type) {
			case string:
				r[k] = v
			case json.Number:
				r[k] = v.String()
			}
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestConservationOnTraces runs flowprobe on every bundled trace with CSV and JSON
// outputs at once, and checks that the records of each add up to the IP packets and
// bytes the parser found, and that both outputs hold the same flows.
func TestConservationOnTraces(t *testing.T) {
	traces, err := filepath.Glob("../../../testdata/pcap/*.pcap*")
	if err != nil || len(traces) == 0 {
		t.Fatalf("no test traces: %v", err)
	}
	for _, trace := range traces {
		t.Run(filepath.Base(trace), func(t *testing.T) {
			t.Parallel()
			wantPackets, wantBytes, readErr := countTrace(t, trace)
			dir := t.TempDir()
			csvPath, jsonPath := filepath.Join(dir, "f.csv"), filepath.Join(dir, "f.json")
			_, stderr, code := flowprobe(t, "-r", trace, "-o", "csv:"+csvPath,
				"-o", "json:"+jsonPath)
			wantCode := exitOK
			if readErr != nil {
				wantCode = exitFailure // a damaged trace still exports what came before
			}
			if code != wantCode {
				t.Fatalf("exit %d, want %d (reading alone: %v)\n%s", code, wantCode,
					readErr, stderr)
			}
			data, err := os.ReadFile(csvPath)
			if err != nil {
				t.Fatal(err)
			}
			csvRows := readCSV(t, string(data))
			jsonRows := readJSON(t, jsonPath)
			if len(csvRows) != len(jsonRows) {
				t.Fatalf("%d CSV records but %d JSON records", len(csvRows), len(jsonRows))
			}
			var packets, bytes uint64
			for i, r := range csvRows {
				packets += r.uint(t, "PACKETS") + r.uint(t, "PACKETS_REV")
				bytes += r.uint(t, "BYTES") + r.uint(t, "BYTES_REV")
				for k, v := range r {
					if jsonRows[i][k] != v {
						t.Fatalf("record %d: %s is %q in CSV, %q in JSON", i, k, v,
							jsonRows[i][k])
					}
				}
			}
			if packets != wantPackets || bytes != wantBytes {
				t.Fatalf("records hold %d packets %d bytes; the parser found %d and %d",
					packets, bytes, wantPackets, wantBytes)
			}
			if wantPackets > 0 && len(csvRows) == 0 {
				t.Fatal("no records")
			}
		})
	}
}
