package stream

import (
	"io"
	"os"
	"testing"
	"time"
)

// TestPeerStatsAccountForEveryMessage lets a client of a NO_WAIT output fall behind,
// then read again: what its counters say it got plus what they say it skipped must be
// every message sent, and the output's own skipped count must agree.
func TestPeerStatsAccountForEveryMessage(t *testing.T) {
	srv := startServer(t, "u:peerstats:timeout=NO_WAIT:buffer_size=4000:buffer_count=4")
	srv.SetFormat(formatA)
	conn := dialRaw(t, srv)
	waitClients(t, srv, 1)
	// 6 MB, far more than the socket buffers hold, and the end-of-data marker.
	if err := sendN(srv, 60000, 100); err != nil {
		t.Fatal(err)
	}
	srv.Send(make([]byte, 100)) // a partly filled container, for Flush
	if err := srv.Flush(); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, conn)
	sent := srv.Stats().Sent
	var p PeerStats
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		peers := srv.PeerStats(nil)
		if len(peers) != 1 {
			t.Fatalf("%d peers, want 1", len(peers))
		}
		if p = peers[0]; p.Messages+p.SkippedRecords == sent {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("client got %d and skipped %d of %d", p.Messages, p.SkippedRecords, sent)
		}
	}
	st := srv.Stats()
	if p.SkippedRecords == 0 || p.SkippedRecords != st.SkippedRecords {
		t.Errorf("client skipped %d, output counts %d skipped", p.SkippedRecords,
			st.SkippedRecords)
	}
	if p.ID != uint32(os.Getpid()) {
		t.Errorf("client ID %d, want this process %d", p.ID, os.Getpid())
	}
	if p.Containers == 0 || p.Containers >= st.Containers {
		t.Errorf("client got %d of %d containers, want some but not all",
			p.Containers, st.Containers)
	}
	if st.Flushes != 1 {
		t.Errorf("%d flushes counted, want 1", st.Flushes)
	}
}
