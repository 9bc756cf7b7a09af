package stream

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestClientChurn: clients come and go while the server sends; a client that stays
// must still get every message in order, and the server must neither stall nor
// leak containers. Run with -race to check the ring's reference counting.
func TestClientChurn(t *testing.T) {
	for _, spec := range []string{
		"u:churn:buffer_size=600:buffer_count=3",
		"u:churn:buffer_size=600:buffer_count=3:timeout=NO_WAIT",
	} {
		t.Run(spec, func(t *testing.T) {
			srv := startServer(t, spec)
			srv.SetFormat(formatA)
			stable := newClient(t, inputSpecFor(t, srv, ""))
			if _, changed, err := stable.Recv(); err != nil || !changed {
				t.Fatalf("first Recv: %v %v", changed, err)
			}
			waitClients(t, srv, 1)

			var stop atomic.Bool
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for !stop.Load() {
						c, err := NewClient(inputSpecFor(t, srv, ":timeout=100000"))
						if err != nil {
							t.Error(err)
							return
						}
						for range 20 {
							if _, _, err := c.Recv(); err != nil {
								break
							}
						}
						c.Close()
					}
				})
			}
			type result struct {
				got []int
				err error
			}
			res := make(chan result, 1)
			go func() {
				got, err := recvNumbers(stable)
				res <- result{got, err}
			}()
			const n = 20000
			if err := sendN(srv, n, 40); err != nil {
				t.Fatal(err)
			}
			srv.Flush()
			r := <-res
			stop.Store(true)
			wg.Wait()
			if r.err != nil {
				t.Fatal(r.err)
			}
			if spec[len(spec)-7:] == "NO_WAIT" {
				for i := 1; i < len(r.got); i++ {
					if r.got[i] <= r.got[i-1] {
						t.Fatalf("out of order: %d after %d", r.got[i], r.got[i-1])
					}
				}
				return
			}
			checkSequence(t, r.got, n)
			waitClients(t, srv, 1) // the churning clients' server sides are gone
			srv.mu.Lock()
			held := 0
			for _, c := range srv.ring {
				if c != nil && c.refs != 0 {
					held++
				}
			}
			srv.mu.Unlock()
			if held != 0 {
				t.Fatalf("%d containers still referenced after the other clients left", held)
			}
		})
	}
}
