// Command flowprobe builds IP flow records from a live interface or a trace file and
// exports them over IPFIX, as UniRec records over NEMEA's TRAP, or as text. Run
// `flowprobe -h` for the flags and exit codes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/flowprobe/flowprobe/probe/engine"
	"github.com/flowprobe/flowprobe/probe/metrics"
)

func main() {
	ctx, stop := handleSignals()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command, with its streams passed in so that tests can run it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usageText)
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "flowprobe: %v\n(flowprobe -h lists the flags)\n", err)
		return exitUsage
	case o.version:
		fmt.Fprintf(stdout, "flowprobe %s\n", versionString())
		return exitOK
	}
	log := newLogger(stderr, o)
	// SIGHUP is taken from here on, before "started" tells a supervisor it may
	// reload, so that an early one never kills the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	var reg *prometheus.Registry
	if o.metrics != "" {
		// Listening first makes a taken port an error before anything else starts.
		reg = metrics.NewRegistry()
		srv, err := metrics.Listen(o.metrics, reg)
		if err != nil {
			log.Error().Err(err).Msg("cannot serve the metrics")
			return exitSetup
		}
		defer srv.Close()
	}

	src, err := openSource(o)
	if err != nil {
		log.Error().Err(err).Msg("cannot open the input")
		return exitSetup
	}
	defer src.Close()

	logAttach(&log, src)

	outputs := newOutputSet(stdout)
	built, err := outputs.build(outputSpecs(o))
	if err != nil {
		log.Error().Err(err).Msg("cannot open an output")
		return exitSetup
	}

	cfg := engineConfig(o, &log, outputs)
	// With CPUs to spare, let each worker's flow cache run beside its capture.
	cfg.Pipeline = src.Workers() < runtime.NumCPU()
	eng, err := engine.New(src, built.exporters, cfg)
	if err != nil {
		_ = outputs.abort(built)
		log.Error().Err(err).Msg("cannot set up the flow engine")
		return exitSetup
	}
	outputs.commit(built)
	if reg != nil {
		reg.MustRegister(metrics.NewCollector(metrics.Options{Engine: eng,
			Source: sourceMetrics(src), Outputs: outputs.metrics}))
	}
	log.Info().Str("input", inputName(o)).Strs("outputs", outputs.names()).
		Int("cache_flows_per_worker", eng.CacheConfig().Capacity).
		Stringer("active", eng.CacheConfig().ActiveTimeout).
		Stringer("inactive", eng.CacheConfig().InactiveTimeout).
		Bool("biflow", !o.split).Bool("pipeline", cfg.Pipeline).
		Str("config", o.configPath).Str("metrics", o.metrics).Msg("started")

	abandon := func() {
		log.Warn().Msg("second signal: giving up on outputs stuck for over a second")
		eng.Abandon()
	}
	abandonHook.Store(&abandon)

	runCtx, endRun := context.WithCancel(ctx)
	var finished atomic.Bool
	go func() {
		<-runCtx.Done()
		// main cancels ctx too once run has returned: stay quiet then.
		if ctx.Err() != nil && !finished.Load() {
			log.Info().Msg("stopping: exporting the flows still open (a second " +
				"signal gives up on stuck outputs, a third quits at once)")
		}
	}()
	go logProgress(runCtx, &log, eng)
	go watchOutputs(runCtx, &log, outputs)
	rl := &reloader{args: args, cur: o, eng: eng, outputs: outputs, log: &log}
	go handleReloads(runCtx, rl, hup)

	runErr := eng.Run(ctx)
	finished.Store(true)
	endRun()
	st := eng.Stats()
	logSummary(&log, &st)
	logSourceSummary(&log, src)
	return exitCode(&log, runErr, &st, outputs.metrics())
}

// handleReloads rereads the configuration at every SIGHUP received on hup until ctx
// ends. SIGHUP is taken even without a configuration file, so that it never kills
// the process.
func handleReloads(ctx context.Context, r *reloader, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			r.reload()
		}
	}
}

// cacheFINWait is the FIN wait as flowcache.Config reads it, where 0 means default.
func cacheFINWait(o *options) time.Duration {
	if o.finWait == 0 {
		return -1
	}
	return o.finWait
}

// exitCode logs what went wrong and picks the exit code: a capture error first, then
// lost records (which an output's close error may have reported, or which the clients
// of a TRAP output skipped), then other errors. outs names the engine's exporters in
// the order of st.Exporters.
func exitCode(log *zerolog.Logger, runErr error, st *engine.Stats,
	outs []metrics.Output) int {
	if runErr != nil {
		log.Error().Err(runErr).Msg("run failed")
	}
	var captureErr *engine.CaptureError
	if errors.As(runErr, &captureErr) {
		return exitFailure
	}
	code := exitOK
	for i, e := range st.Exporters {
		var skipped uint64
		if i < len(outs) && outs[i].TRAP != nil {
			skipped = outs[i].TRAP.Stats().SkippedRecords
		}
		if e.Dropped > 0 || e.Failed > 0 || skipped > 0 {
			log.Error().Int("output", i).Uint64("dropped", e.Dropped).
				Uint64("failed", e.Failed).Uint64("skipped", skipped).
				Msg("flow records were not delivered")
			code = exitLoss
		}
	}
	if errors.Is(runErr, engine.ErrAbandoned) {
		// An output given up on while it closed had taken every record, so none
		// was counted lost, yet some may never have left it.
		code = exitLoss
	}
	if code == exitOK && runErr != nil {
		code = exitFailure
	}
	return code
}

// engineConfig turns the options into the engine's configuration.
func engineConfig(o *options, log *zerolog.Logger, outputs *outputSet) engine.Config {
	cfg := engine.Config{
		ExportError: newErrorLimiter(log, outputs).report,
		LostRecords: lostRecords,
	}
	cfg.Cache.Capacity = o.cache
	cfg.Cache.ActiveTimeout = o.active
	cfg.Cache.InactiveTimeout = o.inactive
	cfg.Cache.FINWait = cacheFINWait(o)
	cfg.Cache.Split = o.split
	if o.trace != "" {
		// A trace replays many seconds of packet time per second, and how soon a
		// due flow is swept changes no record, only when it is written.
		cfg.Cache.SweepPeriod = traceSweepPeriod
		// Most trace runs are over in seconds, too short for the huge pages' faster
		// lookups to pay back clearing them; a live probe runs for days.
		cfg.Cache.SmallPages = true
	}
	cfg.Parser.Decapsulate = o.decap
	if o.iface != "" {
		// A live capture cannot wait for a stuck output without losing packets in
		// the kernel; after this long the output loses records instead, counted.
		cfg.DropAfter = liveExportWait
	}
	return cfg
}
