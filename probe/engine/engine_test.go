package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano()

// udpFrame builds an Ethernet frame of an IPv4 UDP packet from 198.18.0.src:sport to
// 198.18.1.dst:dport with payload bytes of data; its IP length is 28+payload.
func udpFrame(src, dst byte, sport, dport uint16, payload int) []byte {
	b := make([]byte, 14+20+8+payload)
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(28+payload))
	ip[8], ip[9] = 64, 17
	copy(ip[12:], []byte{198, 18, 0, src})
	copy(ip[16:], []byte{198, 18, 1, dst})
	binary.BigEndian.PutUint16(ip[20:], sport)
	binary.BigEndian.PutUint16(ip[22:], dport)
	binary.BigEndian.PutUint16(ip[24:], uint16(8+payload))
	return b
}

// fakeSource hands each worker its own frames, one millisecond of packet time apart,
// ticking every 100 frames. A live one then waits for the context, as a live capture
// does.
type fakeSource struct {
	frames [][][]byte // per worker
	live   bool
	// delivered, when set, receives a value from each worker that has handed over
	// all its frames.
	delivered chan struct{}
}

func (s *fakeSource) Workers() int { return len(s.frames) }
func (s *fakeSource) Close() error { return nil }

func (s *fakeSource) Run(ctx context.Context, handlers []capture.Handler) error {
	var wg sync.WaitGroup
	for w, h := range handlers {
		wg.Go(func() {
			ts := t0
			for i, data := range s.frames[w] {
				ts += int64(time.Millisecond)
				if i%100 == 0 {
					h.Tick(ts)
				}
				h.HandleFrame(&capture.Frame{Data: data, Timestamp: ts, WireLen: len(data),
					LinkType: capture.LinkEthernet})
			}
			if s.delivered != nil {
				s.delivered <- struct{}{}
			}
			if s.live {
				<-ctx.Done()
			}
		})
	}
	wg.Wait()
	return nil
}

// recorder is an exporter that keeps what it is given.
type recorder struct {
	records []flow.Record
	flushes int
	closed  int
	delay   time.Duration
	fail    bool
	block   chan struct{} // when set, Export waits for it to close
}

func (r *recorder) Export(recs []flow.Record) error {
	if r.block != nil {
		<-r.block
	}
	time.Sleep(r.delay)
	if r.fail {
		return errors.New("collector refused")
	}
	r.records = append(r.records, recs...)
	return nil
}
func (r *recorder) Flush() error { r.flushes++; return nil }
func (r *recorder) Close() error { r.closed++; return nil }

// traffic makes frames for each worker: flows worker*10+f, both directions, plus
// one ARP frame (not IP) per worker.
func traffic(workers, flowsPer, packetsPer int) (frames [][][]byte, ipBytes uint64) {
	frames = make([][][]byte, workers)
	for w := range workers {
		for i := range packetsPer {
			for f := range flowsPer {
				src, sport := byte(w*10+f), uint16(1000+f)
				fr := udpFrame(src, 1, sport, 53, 10+i)
				if i%2 == 1 {
					fr = udpFrame(1, src, 53, sport, 10+i)
					// Swap the /24s too, so the reply is the exact reverse.
					copy(fr[26:30], []byte{198, 18, 1, 1})
					copy(fr[30:34], []byte{198, 18, 0, src})
				}
				frames[w] = append(frames[w], fr)
				ipBytes += uint64(28 + 10 + i)
			}
		}
		arp := make([]byte, 60)
		binary.BigEndian.PutUint16(arp[12:], 0x0806)
		frames[w] = append(frames[w], arp)
	}
	return frames, ipBytes
}

func sum(recs []flow.Record) (packets, bytes uint64) {
	for _, r := range recs {
		packets += r.Packets + r.PacketsRev
		bytes += r.Bytes + r.BytesRev
	}
	return packets, bytes
}

// mergeSource feeds one partial flow through the handler's Merge, as the XDP source
// does.
type mergeSource struct{ agg flow.Record }

func (s *mergeSource) Workers() int { return 1 }
func (s *mergeSource) Close() error { return nil }
func (s *mergeSource) Run(_ context.Context, handlers []capture.Handler) error {
	handlers[0].(Merger).Merge(&s.agg)
	return nil
}
