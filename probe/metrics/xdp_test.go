package metrics

import (
	"testing"

	"github.com/flowprobe/flowprobe/bpf/xdpflow"
	"github.com/flowprobe/flowprobe/probe/afxdp"
	"github.com/flowprobe/flowprobe/probe/pcapfile"
	"github.com/flowprobe/flowprobe/probe/xdpsource"
)

type fakeXDP struct{ st xdpsource.Stats }

func (f *fakeXDP) Stats() xdpsource.Stats { return f.st }

type fakeAFXDP struct{ st afxdp.Stats }

func (f *fakeAFXDP) Stats() (afxdp.Stats, error) { return f.st, nil }

type fakePcap struct{ st pcapfile.Stats }

func (f *fakePcap) Stats() pcapfile.Stats { return f.st }

func TestXDPCounters(t *testing.T) {
	f := &fakeXDP{}
	src := XDP(f)
	f.st.Drains, f.st.Partials, f.st.Packets = 2, 300, 1000
	f.st.Program[xdpflow.CounterTableFull] = 5
	f.st.Program[xdpflow.CounterRingLost] = 1
	f.st.Program[xdpflow.CounterNotIP] = 4
	f.st.Program[xdpflow.CounterRedirected] = 7
	f.st.Sockets.Received, f.st.Sockets.Dropped = 6, 1
	c, err := src.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if c.Packets != 1000+5+1+4+7 || c.Drops["ring_lost"] != 1 ||
		c.Drops["socket_dropped"] != 1 || c.Extra["socket_packets"] != 6 ||
		c.ParseFailures["not-ip"] != 4 || c.Extra["table_full"] != 5 {
		t.Errorf("counters %+v", c)
	}
	if c.Gauges["table_entries"] != 150 {
		t.Errorf("table entries %v, want 300 partials over 2 drains", c.Gauges)
	}

	// The next scrape sees only the drains since this one; with none, the gauge stays.
	f.st.Drains, f.st.Partials = 3, 310
	c, _ = src.Counters()
	if c.Gauges["table_entries"] != 10 {
		t.Errorf("table entries %v, want 10 in the one new drain", c.Gauges)
	}
	c, _ = src.Counters()
	if c.Gauges["table_entries"] != 10 {
		t.Errorf("table entries %v without a new drain, want 10 kept", c.Gauges)
	}
}
