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

// outputSpec is one output the options ask for.
type outputSpec struct {
	// name labels the output in logs and metrics, such as "ipfix:127.0.0.1:4739".
	name string
	// key is name plus every option that shapes the exporter: a reload keeps an
	// open output whose key is unchanged.
	key  string
	open func(stdout io.Writer) (flow.Exporter, metrics.Output, error)
}

// outputSpecs lists the outputs o names, in the order TRAP, IPFIX, text.
func outputSpecs(o *options) []outputSpec {
	var specs []outputSpec
	for _, spec := range o.trap {
		opts := flowexport.Options{SendEOF: !o.noEOF, Timeout: trapTimeout(o),
			Plugins: o.plugins}
		specs = append(specs, outputSpec{name: "trap:" + spec,
			key: fmt.Sprintf("trap:%s eof=%t timeout=%v plugins=%v", spec, opts.SendEOF,
				opts.Timeout, opts.Plugins),
			open: func(io.Writer) (flow.Exporter, metrics.Output, error) {
				e, out, err := openTRAP(spec, opts)
				if err != nil {
					return nil, metrics.Output{}, fmt.Errorf("TRAP output %q: %w", spec, err)
				}
				d := metrics.Output{}
				if k := out.Spec().Kind; k == ifc.TCP || k == ifc.UNIX || k == ifc.TLS {
					d.TRAP = out // socket outputs count under a lock of their own
				}
				return e, d, nil
			}})
	}
	transport := ipfix.TCP
	if o.udp {
		transport = ipfix.UDP
	}
	for _, addr := range o.ipfix {
		opts := ipfix.Options{Address: addr, Transport: transport,
			ObservationDomainID: uint32(o.odid), Milliseconds: o.ipfixMs, Tunnels: o.decap}
		specs = append(specs, outputSpec{name: "ipfix:" + addr,
			key: fmt.Sprintf("ipfix:%s udp=%t domain=%d ms=%t tunnels=%t", addr, o.udp,
				o.odid, o.ipfixMs, o.decap),
			open: func(io.Writer) (flow.Exporter, metrics.Output, error) {
				e, err := ipfix.New(opts)
				if err != nil {
					return nil, metrics.Output{}, fmt.Errorf("IPFIX output %s: %w", addr, err)
				}
				return e, metrics.Output{IPFIX: e}, nil
			}})
	}
	for _, t := range o.text {
		name := "text:" + t.format.String()
		if t.path != "" && t.path != "-" {
			name += ":" + t.path
		}
		specs = append(specs, outputSpec{name: name, key: name,
			open: func(stdout io.Writer) (flow.Exporter, metrics.Output, error) {
				if t.path == "" || t.path == "-" {
					return text.New(stdout, t.format), metrics.Output{}, nil
				}
				e, err := text.Create(t.path, t.format)
				return e, metrics.Output{}, err
			}})
	}
	return specs
}

// trapTimeout is the send timeout of TRAP outputs whose specifier gives none: a live
// capture must not stall because a consumer does, while a trace file can wait for the
// slowest consumer and so lose nothing.
func trapTimeout(o *options) trapout.Timeout {
	if o.trace != "" {
		return trapout.Wait
	}
	return trapout.NoWait
}

// trapOutput is a flow exporter on a TRAP interface whose context it owns.
type trapOutput struct {
	*flowexport.Exporter
	ctx *trapout.Context
}

// openTRAP opens the single TRAP output interface spec and a flow exporter on it. The
// interface gets no libtrap service socket: flowprobe opens one context per output
// and reopens them on reload, while a process has one service socket, and the
// counters a supervisor would read there are among flowprobe's metrics.
func openTRAP(spec string, opts flowexport.Options) (*trapOutput, *trapout.Output, error) {
	ctx, err := trapout.OpenWith(spec, 0, 1, trapout.Options{NoService: true})
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

// lostRecords reads the number of records an exporter error reports lost; the IPFIX
// and TRAP exporters report exact counts, the text ones do not.
func lostRecords(err error) (int, bool) {
	var dropped *ipfix.DroppedError
	if errors.As(err, &dropped) {
		return dropped.Records, true
	}
	var lost *flowexport.LostError
	if errors.As(err, &lost) {
		return lost.Records, true
	}
	return 0, false
}
