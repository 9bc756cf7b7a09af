package main

import (
	"slices"

	"github.com/flowprobe/flowprobe/probe/config"
)

// defaultOptions are the options without a configuration file: config.Default, so
// that the file and the flags share one set of defaults.
func defaultOptions() (*options, error) {
	d := config.Default()
	return optionsFromConfig(&d)
}

// optionsFromConfig turns a configuration file into options, which the command line
// then overrides.
func optionsFromConfig(c *config.Config) (*options, error) {
	in, out, cache := &c.Input, &c.Outputs, &c.Cache
	o := &options{
		iface: in.Interface, trace: in.Trace, mode: in.Mode, workers: in.Workers,
		filter: in.Filter, promiscuous: in.Promiscuous,

		trap:    slices.Clone(out.TRAP),
		plugins: slices.Clone(out.TRAPPlugins),
		ipfix:   slices.Clone(out.IPFIX),
		udp:     out.IPFIXTransport == "udp",
		ipfixMs: out.IPFIXMilliseconds,
		odid:    uint(out.ObservationDomain),
		noEOF:   !out.TRAPEndOfData,

		active: cache.ActiveTimeout, inactive: cache.InactiveTimeout,
		finWait: cache.FINWait, cache: cache.Size, split: cache.Split,
		decap: cache.Decapsulate,

		logLevel: c.Log.Level, logFormat: c.Log.Format, metrics: c.Metrics.Address,
	}
	if in.XDPFirstPackets != "" {
		if err := parseXDPFirst(in.XDPFirstPackets, o); err != nil {
			return nil, err
		}
	}
	for _, t := range out.Text {
		to, err := parseTextOutput(t)
		if err != nil {
			return nil, err
		}
		o.text = append(o.text, to)
	}
	return o, nil
}
