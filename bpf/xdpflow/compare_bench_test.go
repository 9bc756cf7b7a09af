package xdpflow

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
)

// compareEnv names the flow objects BenchmarkCompareObjects loads.
const compareEnv = "FLOWPROBE_XDP_OBJECTS"

// BenchmarkCompareObjects measures variants of the flow program side by side: it loads
// every object listed, comma separated, in FLOWPROBE_XDP_OBJECTS (built from flow.c
// like flowhash_bpfel.o, with the same maps), fills each one's table like BenchmarkXDP,
// and runs the mix through all of them and the counting program frame by frame. It
// reports each object's ratio to the counting program under the object's file name,
// so that a change is judged against the code before it in one run.
func BenchmarkCompareObjects(b *testing.B) {
	paths := os.Getenv(compareEnv)
	if paths == "" {
		b.Skip(compareEnv + " names no objects to compare")
	}
	requireRoot(b)
	pinToCPU0(b)
	mix := benchMix()

	var count countObjects
	if err := loadCountObjects(&count, nil); err != nil {
		b.Fatalf("load counting program: %v", err)
	}
	defer count.Close()
	progs := []*ebpf.Program{count.CountXdp}
	names := strings.Split(paths, ",")
	for _, path := range names {
		spec, err := ebpf.LoadCollectionSpec(path)
		if err != nil {
			b.Fatalf("read %s: %v", path, err)
		}
		o, err := load(spec, Config{TableEntries: 1 << 17})
		if err != nil {
			b.Fatalf("load %s: %v", path, err)
		}
		defer o.Close()
		prefill(b, o, 100000)
		for _, wf := range mix {
			run(b, o, wf.frame)
		}
		progs = append(progs, o.Program)
	}
	b.ResetTimer()
	ns := runMix(b, progs, mix, b.N)
	b.ReportMetric(ns[0], "count-ns/pkt")
	for i, path := range names {
		name := strings.TrimSuffix(filepath.Base(path), ".o")
		b.ReportMetric(ns[i+1]/ns[0], name+"-ratio")
	}
}
