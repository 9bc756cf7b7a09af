package afxdp

import (
	"time"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// Drain hands every frame waiting in the RX rings to handlers[w], socket by socket,
// from the calling goroutine, and returns when the rings are empty. It is meant for
// shutdown, after the program that redirects into the sockets has been detached, so
// that no frame the kernel already delivered is lost; frames still arriving may be
// left behind. It calls no Tick and fails while Run is running.
func (s *Source) Drain(handlers []capture.Handler) error {
	if err := s.begin(len(handlers)); err != nil {
		return err
	}
	defer s.end()

	for w, sock := range s.socks {
		frame := capture.Frame{IfIndex: uint32(s.ifindex), LinkType: s.linkType}
		counts := &s.counts[w]
		for {
			frame.Timestamp = time.Now().UnixNano()
			good, bad := sock.deliver(handlers[w], &frame)
			if good+bad == 0 {
				break
			}
			sock.refill()
			counts.received.Add(uint64(good))
			counts.badDescs.Add(uint64(bad))
		}
	}
	return nil
}
