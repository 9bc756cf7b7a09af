package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowprobe/flowprobe/tools/pcapgen/gen"
)

func TestWritesTraceAndTruth(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "t.pcap")
	err := run([]string{"-o", out, "-packets", "3000", "-flows", "200", "-seed", "9",
		"-ipv6", "0.5", "-rate", "5000"})
	if err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(out + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var truth gen.Truth
	if err := json.Unmarshal(data, &truth); err != nil {
		t.Fatalf("ground truth: %v", err)
	}
	if truth.Total.Packets != 3000 || truth.Total.Flows != 200 || truth.IPv6.Flows != 100 {
		t.Errorf("truth counts %d packets, %d flows, %d over IPv6; want 3000, 200, 100",
			truth.Total.Packets, truth.Total.Flows, truth.IPv6.Flows)
	}
	// 24 bytes of file header, then 16 bytes of record header per packet.
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := 24 + 16*truth.Total.Packets + truth.FrameBytes; st.Size() != want {
		t.Errorf("pcap has %d bytes, the truth implies %d", st.Size(), want)
	}
}

func TestRefusesBadArguments(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-packets", "10"}, "usage"},
		{[]string{"-o", filepath.Join(t.TempDir(), "x.pcap"), "-flows", "0"}, "flows 0"},
		{[]string{"-o", "/nonexistent-dir/x.pcap"}, "create trace"},
		{[]string{"-o", "x.pcap", "stray"}, "usage"},
	}
	for _, c := range cases {
		err := run(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run(%q) = %v, want an error containing %q", c.args, err, c.want)
		}
	}
}
