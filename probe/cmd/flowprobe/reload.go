package main

import (
	"errors"
	"slices"

	"github.com/rs/zerolog"

	"github.com/flowprobe/flowprobe/probe/config"
	"github.com/flowprobe/flowprobe/probe/engine"
)

// reloader applies a changed configuration file to a running flowprobe (SIGHUP): the
// outputs, the cache timeouts and the log level change in place without losing a
// flow; other changes are logged and wait for a restart.
type reloader struct {
	args    []string
	cur     *options
	eng     *engine.Engine
	outputs *outputSet
	log     *zerolog.Logger
}

// reload rereads the file and the command line over it, and applies what changed.
// A file with a mistake changes nothing.
func (r *reloader) reload() {
	if r.cur.configPath == "" {
		r.log.Warn().Msg("reload: there is no configuration file (--config) to reread")
		return
	}
	next, err := parseArgs(r.args)
	if err != nil {
		r.log.Error().Err(err).Msg("reload: configuration refused, nothing changed")
		return
	}
	if keys := config.NeedsRestart(r.cur.file, next.file); len(keys) > 0 {
		r.log.Warn().Strs("keys", keys).Msg("reload: these changes wait for a restart")
	}

	// The input and decapsulation wait for a restart, and the outputs must suit what
	// runs: IPFIX has templates for tunnels only while the parser decapsulates, and
	// TRAP outputs wait for a slow client only on a trace. A TRAP output's template
	// and end-of-data wait for a restart too: its interface stays open across a
	// reload, since a second one on the same socket or file cannot open beside it.
	next.decap, next.trace = r.cur.decap, r.cur.trace
	next.plugins, next.noEOF = r.cur.plugins, r.cur.noEOF
	if !sameOutputs(r.cur, next) {
		if err := r.swapOutputs(next); err != nil {
			r.log.Error().Err(err).Msg("reload: outputs not changed")
			next.trap, next.ipfix, next.text = r.cur.trap, r.cur.ipfix, r.cur.text
			next.udp, next.ipfixMs, next.odid = r.cur.udp, r.cur.ipfixMs, r.cur.odid
		}
	}
	if next.active != r.cur.active || next.inactive != r.cur.inactive ||
		next.finWait != r.cur.finWait {
		if err := r.eng.SetTimeouts(next.active, next.inactive, cacheFINWait(next)); err != nil {
			r.log.Error().Err(err).Msg("reload: timeouts not changed")
			next.active, next.inactive, next.finWait = r.cur.active, r.cur.inactive,
				r.cur.finWait
		}
	}
	zerolog.SetGlobalLevel(logLevel(next))

	// What needs a restart stays as it runs, so that the next reload compares
	// against the running values.
	applied := *r.cur
	applied.file = next.file
	applied.trap, applied.ipfix, applied.text = next.trap, next.ipfix, next.text
	applied.udp, applied.ipfixMs, applied.odid = next.udp, next.ipfixMs, next.odid
	applied.active, applied.inactive, applied.finWait = next.active, next.inactive,
		next.finWait
	applied.logLevel, applied.verbosity = next.logLevel, next.verbosity
	r.cur = &applied
	r.log.Info().Msg("reload: configuration applied")
}

// swapOutputs puts the outputs of next in place of the running ones. An output whose
// settings did not change stays open, so that its TRAP clients stay connected and
// its IPFIX connection up; the others open anew, and those no longer named drain,
// flush and close.
func (r *reloader) swapOutputs(next *options) error {
	built, err := r.outputs.build(outputSpecs(next))
	if err != nil {
		return err
	}
	err = r.eng.SwapExporters(built.exporters)
	if errors.Is(err, engine.ErrStopped) {
		_ = r.outputs.abort(built)
		return err
	}
	r.outputs.commit(built)
	if err != nil {
		r.log.Warn().Err(err).Msg("reload: an old output failed to close")
	}
	return nil
}

// sameOutputs reports whether a and b send to the same outputs in the same way.
func sameOutputs(a, b *options) bool {
	return slices.Equal(a.trap, b.trap) && slices.Equal(a.ipfix, b.ipfix) &&
		slices.Equal(a.text, b.text) && a.udp == b.udp && a.ipfixMs == b.ipfixMs &&
		a.odid == b.odid && a.noEOF == b.noEOF
}
