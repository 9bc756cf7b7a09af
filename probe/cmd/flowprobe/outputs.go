package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/flowprobe/flowprobe/exporter/ipfix"
	"github.com/flowprobe/flowprobe/exporter/text"
	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/trapout/flowexport"
)

// openOutputs opens every output named on the command line, in the order TRAP,
// IPFIX, text. On an error it closes those already open.
func openOutputs(o *options, stdout io.Writer) ([]flow.Exporter, error) {
	var out []flow.Exporter
	fail := func(err error) ([]flow.Exporter, error) {
		closeAll(out)
		return nil, err
	}
	for _, spec := range o.trap {
		e, err := flowexport.Open(spec, flowexport.Options{SendEOF: !o.noEOF})
		if err != nil {
			return fail(fmt.Errorf("TRAP output %q: %w", spec, err))
		}
		out = append(out, e)
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
		out = append(out, e)
	}
	for _, t := range o.text {
		if t.path == "" || t.path == "-" {
			out = append(out, text.New(stdout, t.format))
			continue
		}
		e, err := text.Create(t.path, t.format)
		if err != nil {
			return fail(err)
		}
		out = append(out, e)
	}
	return out, nil
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
