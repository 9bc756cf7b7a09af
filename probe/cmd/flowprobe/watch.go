package main

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flowprobe/flowprobe/exporter/ipfix"
)

// watchInterval is how often watchOutputs looks at the outputs' counters.
const watchInterval = time.Second

// watchOutputs logs one line when an IPFIX collector's connection is lost and one
// when it is back, when a UDP collector starts and stops refusing datagrams, and when
// the number of clients of an open TRAP output changes, until ctx ends. It reads the
// outputs' counters, so exporting pays nothing for it.
func watchOutputs(ctx context.Context, log *zerolog.Logger, outs *outputSet) {
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	ipfixSeen := map[any]*collectorState{}
	trapSeen := map[any]int{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, m := range outs.current() {
			if m.IPFIX != nil {
				s := ipfixSeen[m.IPFIX]
				if s == nil {
					s = &collectorState{}
					ipfixSeen[m.IPFIX] = s
				}
				s.update(log, m.Name, m.IPFIX.Stats())
			}
			if m.TRAP != nil {
				clients := m.TRAP.Stats().Clients
				if prev, ok := trapSeen[m.TRAP]; prev != clients && (ok || clients > 0) {
					log.Info().Str("output", m.Name).Int("clients", clients).
						Msg("TRAP clients changed")
				}
				trapSeen[m.TRAP] = clients
			}
		}
	}
}

// collectorState is what watchOutputs remembers of one IPFIX exporter.
type collectorState struct {
	last     ipfix.Stats
	refusing bool
}

// update logs the events between the last reading and cur.
func (s *collectorState) update(log *zerolog.Logger, name string, cur ipfix.Stats) {
	prev := s.last
	s.last = cur
	switch {
	case cur.Disconnects > prev.Disconnects && !cur.Connected:
		log.Warn().Str("output", name).Uint64("buffered", cur.Buffered).
			Msg("IPFIX collector lost; records wait in the buffer")
	case cur.Connects > prev.Connects && prev.Connects > 0:
		log.Info().Str("output", name).Msg("IPFIX collector back")
	case cur.Connects > prev.Connects:
		log.Info().Str("output", name).Msg("IPFIX collector connected")
	}
	switch {
	case cur.Refused > prev.Refused && !s.refusing:
		s.refusing = true
		log.Warn().Str("output", name).Msg("IPFIX collector refuses datagrams " +
			"(ICMP port unreachable)")
	case cur.Refused == prev.Refused && cur.RecordsSent > prev.RecordsSent && s.refusing:
		s.refusing = false
		log.Info().Str("output", name).Msg("IPFIX collector accepts datagrams again")
	}
}

// errorLimiter logs export errors at most once per output in errorLogInterval,
// with the number of errors in between, so an output that fails every batch does
// not flood the log.
type errorLimiter struct {
	log  *zerolog.Logger
	outs *outputSet
	mu   sync.Mutex
	last map[int]time.Time
	held map[int]int
}

// errorLogInterval is the least time between two logged errors of one output.
const errorLogInterval = 10 * time.Second

func newErrorLimiter(log *zerolog.Logger, outs *outputSet) *errorLimiter {
	return &errorLimiter{log: log, outs: outs, last: map[int]time.Time{},
		held: map[int]int{}}
}

// report is the engine's Config.ExportError.
func (l *errorLimiter) report(i int, err error) {
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.last[i]) < errorLogInterval {
		l.held[i]++
		l.mu.Unlock()
		return
	}
	held := l.held[i]
	l.last[i], l.held[i] = now, 0
	l.mu.Unlock()
	l.log.Warn().Int("output", i).Str("name", l.outs.name(i)).
		Int("errors_not_logged", held).Err(err).Msg("export failed")
}
