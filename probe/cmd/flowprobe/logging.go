package main

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/flowprobe/flowprobe/probe/engine"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/packet"
)

// logLevel is the level the options ask for: -v raises the configured level to
// info, -v -v to debug.
func logLevel(o *options) zerolog.Level {
	level, err := zerolog.ParseLevel(o.logLevel)
	if err != nil || o.logLevel == "" {
		level = zerolog.WarnLevel
	}
	switch {
	case o.verbosity == 1:
		level = min(level, zerolog.InfoLevel)
	case o.verbosity > 1:
		level = zerolog.DebugLevel
	}
	return level
}

// newLogger logs at the level the options ask for (warnings and errors by default),
// in the console format for people or as JSON lines; "auto" picks the console
// format on a terminal. The level is the global one, so that a reload can change it.
func newLogger(w io.Writer, o *options) zerolog.Logger {
	zerolog.SetGlobalLevel(logLevel(o))
	console := o.logFormat == "console"
	if f, ok := w.(*os.File); ok && o.logFormat != "json" && isatty.IsTerminal(f.Fd()) {
		console = true
	}
	if console {
		w = zerolog.ConsoleWriter{Out: w}
	}
	return zerolog.New(w).With().Timestamp().Logger()
}

// logSummary logs what the run did at info level.
func logSummary(log *zerolog.Logger, st *engine.Stats) {
	ev := log.Info().Uint64("frames", st.Parser.Frames).
		Uint64("flow_packets", st.Cache.Packets).Uint64("flows", st.Cache.Created)
	for r := packet.Reason(0); r < packet.NumReasons; r++ {
		if n := st.Parser.Reasons[r]; n > 0 && r != packet.OK {
			ev = ev.Uint64("frames_"+r.String(), n)
		}
	}
	for r := flow.EndIdle; r <= flow.EndLackOfResource; r++ {
		if n := st.Flows[r]; n > 0 {
			ev = ev.Uint64("ended_"+r.String(), n)
		}
	}
	ev.Msg("finished")
	if n := st.Cache.ClockSetBack; n > 0 {
		log.Warn().Uint64("times", n).Msg("packet time went back by more than the" +
			" inactive timeout and stayed there; the flow caches that saw it ended" +
			" their open flows there")
	}
	for i, e := range st.Exporters {
		log.Info().Int("output", i).Uint64("records", e.Records).
			Uint64("failed", e.Failed).Uint64("dropped", e.Dropped).
			Uint64("errors", e.Errors).Msg("output")
	}
}

// progressInterval is how often -v -v logs the counters during a run.
const progressInterval = 10 * time.Second

// logProgress logs the engine's counters at debug level until ctx ends.
func logProgress(ctx context.Context, log *zerolog.Logger, eng *engine.Engine) {
	t := time.NewTicker(progressInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if zerolog.GlobalLevel() > zerolog.DebugLevel {
				continue // a reload may lower the level later
			}
			st := eng.Stats()
			log.Debug().Uint64("frames", st.Parser.Frames).
				Uint64("flow_packets", st.Cache.Packets).Uint64("merged", st.Cache.Merged).
				Int("flows_open", st.Cache.Active).Uint64("flows_exported",
				sumFlows(&st)).Msg("progress")
		}
	}
}

func sumFlows(st *engine.Stats) uint64 {
	var n uint64
	for _, f := range st.Flows {
		n += f
	}
	return n
}
