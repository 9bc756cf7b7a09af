package main

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/metrics"
)

// sharedExporter lets a reload keep an output open. The engine's old and new exporter
// lists then both hold it, and the old list's goroutine may still export while the
// new one starts, so calls take a lock (once per batch); only the last Close closes
// the exporter, the others flush it.
type sharedExporter struct {
	mu   sync.Mutex
	exp  flow.Exporter
	refs int // lists holding it; guarded by outputSet.mu
	// m names the output and says where to read its own counters.
	m metrics.Output
}

func (s *sharedExporter) Export(records []flow.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exp.Export(records)
}

func (s *sharedExporter) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exp.Flush()
}

// closer returns the Close one list should call: it drops that list's reference.
func (set *outputSet) closer(s *sharedExporter) func() error {
	return func() error {
		set.mu.Lock()
		s.refs--
		last := s.refs == 0
		set.mu.Unlock()
		s.mu.Lock()
		defer s.mu.Unlock()
		if last {
			return s.exp.Close()
		}
		return s.exp.Flush()
	}
}

// listExporter is one list's handle on a sharedExporter.
type listExporter struct {
	*sharedExporter
	close func() error
}

func (l *listExporter) Close() error { return l.close() }

// outputSet tracks the open outputs across reloads and names every exporter the
// engine was ever given, for logs and metrics.
type outputSet struct {
	stdout io.Writer

	mu   sync.Mutex
	open map[string]*sharedExporter // by key, with "#n" for repeats
	all  []metrics.Output           // in the order of engine.Stats.Exporters
	// lastStart is where the outputs of the last commit begin in all.
	lastStart int
}

// outputBuild is the result of outputSet.build, to commit or abort.
type outputBuild struct {
	exporters []flow.Exporter
	next      map[string]*sharedExporter
	opened    []*sharedExporter
	allBefore int
}

func newOutputSet(stdout io.Writer) *outputSet {
	return &outputSet{stdout: stdout, open: map[string]*sharedExporter{}}
}

// build makes exporters for specs, reusing the open outputs whose key is unchanged
// and opening the rest. On an error it closes what it opened and changes nothing.
// The caller hands b.exporters to the engine, then calls commit, or abort when the
// engine refused them.
func (set *outputSet) build(specs []outputSpec) (*outputBuild, error) {
	set.mu.Lock()
	defer set.mu.Unlock()
	b := &outputBuild{next: map[string]*sharedExporter{}, allBefore: len(set.all)}
	seen := map[string]int{}
	for _, sp := range specs {
		key := fmt.Sprintf("%s#%d", sp.key, seen[sp.key])
		seen[sp.key]++
		entry := metrics.Output{Name: sp.name}
		s, ok := set.open[key]
		if !ok {
			e, m, err := sp.open(set.stdout)
			if err != nil {
				errs := []error{err}
				for _, o := range b.opened {
					errs = append(errs, o.exp.Close())
				}
				set.all = set.all[:b.allBefore]
				return nil, errors.Join(errs...)
			}
			s = &sharedExporter{exp: e, m: metrics.Output{Name: sp.name,
				IPFIX: m.IPFIX, TRAP: m.TRAP}}
			b.opened = append(b.opened, s)
			// A kept output's own counters are listed under its first entry already.
			entry.IPFIX, entry.TRAP = m.IPFIX, m.TRAP
		}
		b.next[key] = s
		b.exporters = append(b.exporters, &listExporter{sharedExporter: s,
			close: set.closer(s)})
		set.all = append(set.all, entry)
	}
	// The new list holds its references before the engine closes the old one.
	for _, s := range b.exporters {
		s.(*listExporter).refs++
	}
	return b, nil
}

// commit makes the outputs of b the open ones.
func (set *outputSet) commit(b *outputBuild) {
	set.mu.Lock()
	defer set.mu.Unlock()
	set.open = b.next
	set.lastStart = b.allBefore
}

// abort undoes b: the outputs it opened are closed, the kept ones stay open.
func (set *outputSet) abort(b *outputBuild) error {
	set.mu.Lock()
	for _, s := range b.exporters {
		s.(*listExporter).refs--
	}
	set.all = set.all[:b.allBefore]
	set.mu.Unlock()
	var errs []error
	for _, o := range b.opened {
		errs = append(errs, o.exp.Close())
	}
	return errors.Join(errs...)
}

// metrics returns every exporter the engine was ever given.
func (set *outputSet) metrics() []metrics.Output {
	set.mu.Lock()
	defer set.mu.Unlock()
	return append([]metrics.Output(nil), set.all...)
}

// current returns the outputs open now, each once.
func (set *outputSet) current() []metrics.Output {
	set.mu.Lock()
	defer set.mu.Unlock()
	out := make([]metrics.Output, 0, len(set.open))
	for _, s := range set.open {
		out = append(out, s.m)
	}
	return out
}

// name returns the name of the engine's exporter i.
func (set *outputSet) name(i int) string {
	set.mu.Lock()
	defer set.mu.Unlock()
	if i < len(set.all) {
		return set.all[i].Name
	}
	return fmt.Sprintf("output%d", i)
}

// names returns the names of the outputs the engine was given last, in order.
func (set *outputSet) names() []string {
	set.mu.Lock()
	defer set.mu.Unlock()
	var out []string
	for _, m := range set.all[set.lastStart:] {
		out = append(out, m.Name)
	}
	return out
}
