package ipfix

import (
	"strconv"
	"testing"
	"time"
)

// TestTCPDeliversBufferOnReconnect buffers records while no collector listens, then
// starts one and makes no further call: the records must reach it, since a probe
// with no new flows may not call Export or Flush for a long time.
func TestTCPDeliversBufferOnReconnect(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(freeTCPPort(t))
	e, err := New(Options{Address: addr, Transport: TCP, BufferRecords: 1000,
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 20 * time.Millisecond,
		CloseTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	records := sampleRecords(120)
	if err := e.Export(records); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if st := e.Stats(); st.Buffered != uint64(len(records)) || st.Connected {
		t.Fatalf("with no collector: %+v, want all %d records buffered", st, len(records))
	}
	col := newTCPCollector(t, addr)
	col.waitRecords(t, 0, len(records))
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	st := e.Stats()
	if st.RecordsSent != uint64(len(records)) || st.Buffered != 0 || st.Connects != 1 {
		t.Fatalf("after the collector came: %+v, want %d records sent on one connection",
			st, len(records))
	}
}
