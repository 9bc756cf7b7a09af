package stream

import (
	"testing"

	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

// TestNoWaitCloseCountsWhatStuckClientLacks fills the socket of a client that stops
// reading, closes the NO_WAIT output, then reads what the client's socket holds:
// the messages it got plus the ones the output counts as skipped must be all it sent.
func TestNoWaitCloseCountsWhatStuckClientLacks(t *testing.T) {
	srv := startServer(t, "u:stuckcount:timeout=NO_WAIT:buffer_size=4000:buffer_count=4")
	srv.SetFormat(formatA)
	conn := dialRaw(t, srv) // connected, reads only after Close
	waitClients(t, srv, 1)
	const n = 60000 // 6 MB: far more than the socket buffers hold
	if err := sendN(srv, n, 100); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	got := countMessages(t, <-readAll(conn))
	st := srv.Stats()
	if got+st.SkippedRecords != st.Sent {
		t.Fatalf("the client got %d messages and %d are counted skipped, of %d sent",
			got, st.SkippedRecords, st.Sent)
	}
	if st.SkippedRecords == 0 || got == 0 {
		t.Fatalf("got %d, skipped %d: the test did not make a client fall behind",
			got, st.SkippedRecords)
	}
}

// countMessages counts the messages of the whole containers after the hello in b; a
// container cut off at the end is not counted.
func countMessages(t *testing.T, b []byte) uint64 {
	t.Helper()
	_, specLen, err := wire.ParseHelloHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	b = b[wire.HelloHeaderSize+specLen:]
	var n uint64
	for len(b) >= wire.ContainerHeaderSize {
		h, err := wire.ParseContainerHeader(b)
		if err != nil {
			t.Fatal(err)
		}
		end := wire.ContainerHeaderSize + int(h.PayloadLen)
		if end > len(b) {
			break
		}
		n += uint64(h.Count)
		b = b[end:]
	}
	return n
}
