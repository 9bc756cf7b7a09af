package xdpflow

import (
	"testing"

	"github.com/asavie/xdp"
	"github.com/cilium/ebpf"
)

// BenchmarkRedirectAll compares, under BPF_PROG_TEST_RUN on the mix of BenchmarkXDP,
// the flow program sending every frame to an AF_XDP socket (RedirectAll) with the
// redirect-everything program that probe/afxdp attaches for --mode afxdp, each with a
// socket bound on queue 0. It reports ns/pkt for each and their ratio, to choose the
// program behind --mode afxdp.
func BenchmarkRedirectAll(b *testing.B) {
	requireRoot(b)
	flow := loadForTest(b, Config{RedirectFirst: RedirectAll})
	bindSocket(b, flow.XSKMap)
	plain, err := xdp.NewProgram(1)
	if err != nil {
		b.Fatalf("load the afxdp redirect program: %v", err)
	}
	defer plain.Close()
	bindSocket(b, plain.Sockets)
	if err := plain.Queues.Put(uint32(0), uint32(1)); err != nil {
		b.Fatal(err)
	}
	mix := benchMix()
	for _, p := range []*ebpf.Program{flow.Program, plain.Program} {
		for _, wf := range mix {
			if ret, _, err := p.Test(wf.frame); err != nil || ret != xdpRedirect {
				b.Fatalf("program %v: verdict %d, %v; want redirect", p, ret, err)
			}
		}
	}
	pinToCPU0(b)
	b.ResetTimer()
	ns := runMix(b, []*ebpf.Program{flow.Program, plain.Program}, mix, b.N)
	b.ReportMetric(ns[0], "flow-ns/pkt")
	b.ReportMetric(ns[1], "afxdp-ns/pkt")
	b.ReportMetric(ns[0]/ns[1], "ratio")
}
