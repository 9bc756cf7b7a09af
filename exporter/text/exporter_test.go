package text

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/flow"
)

func sampleRecords() []flow.Record {
	first := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC).UnixNano()
	var v4, v6 flow.Record
	v4.SetAddrs(netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2"))
	v4.SrcPort, v4.DstPort, v4.Protocol, v4.VLAN = 40000, 443, 6, 42
	v4.Packets, v4.Bytes, v4.PacketsRev, v4.BytesRev = 10, 1500, 8, 9000
	v4.TCPFlags, v4.TCPFlagsRev = flow.TCPSyn|flow.TCPAck|flow.TCPFin, flow.TCPRst
	v4.TimeFirst, v4.TimeLast = first, first+2_500_000_000
	v4.EndReason, v4.IfIndex = flow.EndOfFlow, 3
	v4.SrcMAC = [6]byte{0x02, 0, 0, 0, 0, 0x0a}
	v4.DstMAC = [6]byte{0x02, 0, 0, 0, 0, 0xff}

	v6.SetAddrs(netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"))
	v6.Protocol, v6.ICMPTypeCode = 58, 128<<8
	v6.Packets, v6.Bytes = 1, 104
	v6.TimeFirst, v6.TimeLast = first, first
	v6.EndReason, v6.Direction = flow.EndForced, flow.Egress
	v6.TunnelType, v6.TunnelID = flow.TunnelVXLAN, 7
	v6.Tunnel = flow.Tunnel{SrcAddr: netip.MustParseAddr("198.19.0.1").As16(),
		DstAddr: netip.MustParseAddr("198.19.0.2").As16()}
	return []flow.Record{v4, v6}
}

// wantFields are values every format must carry for sampleRecords, by column name.
var wantFields = []map[string]string{{
	"SRC_IP": "198.18.0.1", "DST_IP": "198.18.0.2", "SRC_PORT": "40000",
	"DST_PORT": "443", "PROTOCOL": "6", "VLAN": "42", "PACKETS": "10", "BYTES": "1500",
	"PACKETS_REV": "8", "BYTES_REV": "9000", "TCP_FLAGS": "19", "TCP_FLAGS_REV": "4",
	"TIME_FIRST": "2024-05-01T12:00:00.123456Z", "TIME_LAST": "2024-05-01T12:00:02.623456Z",
	"END_REASON": "end", "IF_INDEX": "3", "SRC_MAC": "02:00:00:00:00:0a",
	"DST_MAC": "02:00:00:00:00:ff", "DIRECTION": "ingress", "TUNNEL": "none",
	"IP_VERSION": "4",
}, {
	"SRC_IP": "2001:db8::1", "DST_IP": "2001:db8::2", "PROTOCOL": "58",
	"ICMP_TYPE_CODE": "32768", "END_REASON": "forced", "DIRECTION": "egress",
	"TUNNEL": "vxlan", "TUNNEL_SRC_IP": "198.19.0.1", "TUNNEL_DST_IP": "198.19.0.2",
	"TUNNEL_ID": "7", "IP_VERSION": "6",
}}

func export(t *testing.T, f Format) string {
	t.Helper()
	var out bytes.Buffer
	e := New(&out, f)
	recs := sampleRecords()
	if err := e.Export(recs[:1]); err != nil {
		t.Fatal(err)
	}
	if err := e.Export(recs[1:]); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func checkRows(t *testing.T, rows []map[string]string) {
	t.Helper()
	if len(rows) != len(wantFields) {
		t.Fatalf("%d rows, want %d", len(rows), len(wantFields))
	}
	for i, want := range wantFields {
		if len(rows[i]) != len(columns) {
			t.Errorf("row %d has %d fields, want %d", i, len(rows[i]), len(columns))
		}
		for k, v := range want {
			if rows[i][k] != v {
				t.Errorf("row %d %s = %q, want %q", i, k, rows[i][k], v)
			}
		}
	}
}

func TestCSV(t *testing.T) {
	lines, err := csv.NewReader(strings.NewReader(export(t, CSV))).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v", err)
	}
	var rows []map[string]string
	for _, l := range lines[1:] {
		row := map[string]string{}
		for i, name := range lines[0] {
			row[name] = l[i]
		}
		rows = append(rows, row)
	}
	checkRows(t, rows)
}

func TestJSONLines(t *testing.T) {
	var rows []map[string]string
	for _, line := range strings.Split(strings.TrimSpace(export(t, JSON)), "\n") {
		var obj map[string]any
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		row := map[string]string{}
		for k, v := range obj {
			switch v := v.(type) {
			case string:
				row[k] = v
			case json.Number:
				row[k] = v.String()
			}
		}
		rows = append(rows, row)
	}
	checkRows(t, rows)
}

func TestTable(t *testing.T) {
	out := export(t, Table)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("table has %d lines, want header and 2 rows:\n%s", len(lines), out)
	}
	header := strings.Fields(lines[0])
	if len(header) != len(columns) {
		t.Fatalf("header has %d names, want %d", len(header), len(columns))
	}
	row := strings.Fields(lines[1])
	// Empty values print as "-", so whitespace splits a row into its columns.
	got := map[string]string{}
	for i, name := range header {
		got[name] = row[i]
	}
	for k, v := range map[string]string{"SRC_IP": "198.18.0.1", "PROTOCOL": "tcp",
		"TCP_FLAGS": "...A..SF", "TCP_FLAGS_REV": ".....R..", "BYTES_REV": "9000",
		"TUNNEL_SRC_IP": "-"} {
		if got[k] != v {
			t.Errorf("table %s = %q, want %q", k, got[k], v)
		}
	}
	// Right alignment: every value of a narrow column ends where its name ends.
	end := strings.Index(lines[0], "PACKETS ") + len("PACKETS")
	if lines[1][end-2:end] != "10" {
		t.Errorf("PACKETS not right-aligned:\n%s", out)
	}
}

func TestCloseWritesHeaderWithoutRecords(t *testing.T) {
	var out bytes.Buffer
	if err := New(&out, CSV).Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "SRC_IP,DST_IP,") {
		t.Fatalf("empty CSV output %q has no header", out.String())
	}
}

func TestCreateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.jsonl")
	e, err := Create(path, JSON)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Export(sampleRecords()); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("\n")); n != 2 {
		t.Fatalf("file has %d lines, want 2", n)
	}
	if _, err := Create(filepath.Join(t.TempDir(), "no", "such", "dir"), CSV); err == nil {
		t.Fatal("Create in a missing directory succeeded")
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range []Format{Table, CSV, JSON} {
		got, err := ParseFormat(f.String())
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f.String(), got, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), "xml") {
		t.Errorf("ParseFormat(xml) error %v does not name the format", err)
	}
}

func TestExportAllocatesNothing(t *testing.T) {
	recs := sampleRecords()
	for _, f := range []Format{Table, CSV, JSON} {
		e := New(io.Discard, f)
		allocs := testing.AllocsPerRun(100, func() {
			if err := e.Export(recs); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%v: %v allocations per Export", f, allocs)
		}
	}
}
