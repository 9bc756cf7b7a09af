package xdpsource

import (
	"context"
	"fmt"
	"sync"

	"github.com/flowprobe/flowprobe/probe/afxdp"
	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// openSockets opens the AF_XDP sockets that take the frames the program redirects and
// stores them in its XSKMAP, or does nothing when the program redirects none. Frames
// redirected before a queue's socket is stored are counted in the kernel, so the
// order only decides how many go to user space, never whether one is lost.
func (s *Source) openSockets() error {
	if s.opts.Program.RedirectFirst == 0 {
		return nil
	}
	o := s.opts.Sockets
	o.Interface = s.opts.Interface
	o.XSKMap = s.objs.XSKMap
	socks, err := afxdp.New(o)
	if err != nil {
		return fmt.Errorf("open sockets for redirected frames: %w", err)
	}
	s.socks = socks
	return nil
}

// serialHandler lets the drain goroutine and every socket worker feed one engine
// worker, so that a flow's redirected frames and its counts from the tables end in one
// flow cache and so in one record. Calls take turns under a lock: the handler is
// called from several goroutines, never at once, and the lock orders its memory.
// Redirected frames are few when only a flow's first packets are sent, so the lock
// is rarely contended; with every frame redirected it serialises the socket workers.
type serialHandler struct {
	mu sync.Mutex
	h  capture.Handler
	m  Merger
}

func (s *serialHandler) HandleFrame(f *capture.Frame) {
	s.mu.Lock()
	s.h.HandleFrame(f)
	s.mu.Unlock()
}

func (s *serialHandler) Tick(now int64) {
	s.mu.Lock()
	s.h.Tick(now)
	s.mu.Unlock()
}

func (s *serialHandler) Merge(agg *flow.Record) {
	s.mu.Lock()
	s.m.Merge(agg)
	s.mu.Unlock()
}

// frameHandler is what the socket workers feed: their frames go to the serialHandler,
// their ticks nowhere. A socket worker ticks with the time it reads, but the tables
// may still hold older packets, so only the drain loop's ticks move the clock.
type frameHandler struct{ s *serialHandler }

func (f frameHandler) HandleFrame(fr *capture.Frame) { f.s.HandleFrame(fr) }

func (f frameHandler) Tick(int64) {}

// runSockets delivers redirected frames to h from one worker per socket until ctx is
// cancelled, calling failed if the sockets stop early with an error; the returned
// function waits for the end and returns Run's error.
func (s *Source) runSockets(ctx context.Context, h frameHandler,
	failed func()) func() error {
	handlers := make([]capture.Handler, s.socks.Workers())
	for i := range handlers {
		handlers[i] = h
	}
	done := make(chan error, 1)
	go func() {
		err := s.socks.Run(ctx, handlers)
		if err != nil {
			failed()
		}
		done <- err
	}()
	return func() error { return <-done }
}

// drainSockets hands over the frames still waiting in the sockets' RX rings once the
// program is detached.
func (s *Source) drainSockets(h frameHandler) error {
	handlers := make([]capture.Handler, s.socks.Workers())
	for i := range handlers {
		handlers[i] = h
	}
	return s.socks.Drain(handlers)
}
