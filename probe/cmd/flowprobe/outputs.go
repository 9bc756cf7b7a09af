package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/flowprobe/flowprobe/exporter/ipfix"
	"github.com/flowprobe/flowprobe/exporter/text"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/probe/metrics"
	"github.com/flowprobe/flowprobe/trapout"
	"github.com/flowprobe/flowprobe/trapout/flowexport"
	"github.com/flowprobe/flowprobe/trapout/ifc"
)

// openOutputs opens every output named in the options, in the order TRAP, IPFIX,
// text, and describes each for the metrics. On an error it closes those already open.
func openOutputs(o *options, stdout io.Writer) ([]flow.Exporter, []metrics.Output, error) {
	var exps []flow.Exporter
	var descs []metrics.Output
	add := func(e flow.Exporter, d metrics.Output) {
		exps = append(exps, e)
		descs = append(descs, d)
	}
	fail := func(err error) ([]flow.Exporter, []metrics.Output, error) {
		closeAll(exps)
		return nil, nil, err
	}
	for _, spec := range o.trap {
		e, out, err := openTRAP(spec, flowexport.Options{SendEOF: !o.noEOF})
		if err != nil {
			return fail(fmt.Errorf("TRAP output %q: %w", spec, err))
		}
		d := metrics.Output{Name: "trap:" + spec}
		if k := out.Spec().Kind; k == ifc.TCP || k == ifc.UNIX || k == ifc.TLS {
			d.TRAP = out // socket outputs count under a lock of their own
		}
		add(e, d)
	}
	for _, addr := range o.ipfix {
		transport := ipfix.TCP
		if o.udp {
			transport = ipfix.UDP
		}
		e, err := ipfix.New(ipfix.Options{Address: addr, Transport: transport,
			ObservationDomainID: uint32(o.odid), Milliseconds: o.ipfixMs})
		if err != nil {
			return fail(fmt.Errorf("IPFIX output %s: %w", addr, err))
		}
		add(e, metrics.Output{Name: "ipfix:" + addr, IPFIX: e})
	}
	for _, t := range o.text {
		name := "text:" + t.format.String()
		if t.path == "" || t.path == "-" {
			add(text.New(stdout, t.format), metrics.Output{Name: name})
			continue
		}
		e, err := text.Create(t.path, t.format)
		if err != nil {
			return fail(err)
		}
		add(e, metrics.Output{Name: name + ":" + t.path})
	}
	return exps, descs, nil
}

// trapOutput is a flow exporter on a TRAP interface whose context it owns.
type trapOutput struct {
	*flowexport.Exporter
	ctx *trapout.Context
}

// openTRAP opens the single TRAP output interface spec and a flow exporter on it.
func openTRAP(spec string, opts flowexport.Options) (*trapOutput, *trapout.Output, error) {
	ctx, err := trapout.Open(spec, 0, 1)
	if err != nil {
		return nil, nil, err
	}
	e, err := flowexport.New(ctx.Output(0), opts)
	if err != nil {
		ctx.Close()
		return nil, nil, err
	}
	return &trapOutput{Exporter: e, ctx: ctx}, ctx.Output(0), nil
}

// Close sends end-of-data if asked, flushes and closes the interface.
func (t *trapOutput) Close() error {
	return errors.Join(t.Exporter.Close(), t.ctx.Close())
}

// closeAll closes exporters that never reached the engine; their errors do not matter
// next to the one that stopped the start.
func closeAll(exporters []flow.Exporter) {
	for _, e := range exporters {
		_ = e.Close()
	}
}

// lostRecords reads the number of records an exporter error reports lost; only the
// IPFIX exporter reports exact counts.
func lostRecords(err error) (int, bool) {
	var dropped *ipfix.DroppedError
	if errors.As(err, &dropped) {
		return dropped.Records, true
	}
	return 0, false
}
