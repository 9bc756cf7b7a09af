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

// newLogger logs warnings and errors by default, info with one -v and debug with
// more; on a terminal in the readable console format, elsewhere as JSON lines.
func newLogger(w io.Writer, verbosity int) zerolog.Logger {
	level := zerolog.WarnLevel
	switch {
	case verbosity == 1:
		level = zerolog.InfoLevel
	case verbosity > 1:
		level = zerolog.DebugLevel
	}
	if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		w = zerolog.ConsoleWriter{Out: w}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
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
