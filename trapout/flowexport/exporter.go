// Package flowexport sends finished flows as UniRec records in the basic flow
// template of ipfixprobe over any TRAP output interface, so NEMEA detectors can read
// flowprobe's output as they read ipfixprobe's; the fields of ipfixprobe's vlan and
// icmp plugins can be added (Options.Plugins).
package flowexport

import (
	"errors"
	"fmt"

	"github.com/flowprobe/flowprobe/probe/flow"
	"github.com/flowprobe/flowprobe/trapout"
	"github.com/flowprobe/flowprobe/trapout/unirec"
)

// Template is the canonical basic flow template, ipfixprobe's UniRec output with the
// LINK_BIT_FIELD variant; its records are 100 bytes.
const Template = "ipaddr DST_IP,ipaddr SRC_IP,uint64 BYTES,uint64 BYTES_REV," +
	"uint64 LINK_BIT_FIELD,time TIME_FIRST,time TIME_LAST,macaddr DST_MAC,macaddr SRC_MAC," +
	"uint32 PACKETS,uint32 PACKETS_REV,uint16 DST_PORT,uint16 SRC_PORT,uint8 DIR_BIT_FIELD," +
	"uint8 PROTOCOL,uint8 TCP_FLAGS,uint8 TCP_FLAGS_REV"

// Options set the fields that ipfixprobe takes from its command line rather than
// from the flow.
type Options struct {
	// LinkBitField is sent in LINK_BIT_FIELD (ipfixprobe's link= option).
	LinkBitField uint64
	// DirBitField is sent in DIR_BIT_FIELD (ipfixprobe's dir= option).
	DirBitField uint8
	// SendEOF sends the end-of-data marker at Close (ipfixprobe's eof option), which
	// makes NEMEA receivers such as logger stop.
	SendEOF bool
	// Plugins names ipfixprobe process plugins whose fields are added to the basic
	// template: "vlan" (uint16 VLAN_ID) and "icmp" (uint16 L4_ICMP_TYPE_CODE); see
	// Plugins. Default none: the basic template alone.
	Plugins []string
	// Timeout is the output's send timeout unless its `-i` specifier gives one. The
	// zero value is NO_WAIT: a socket output then skips containers a slow client has
	// not read rather than stall the caller, which suits a live capture that must
	// keep up with the network. A program that reads a file can afford Wait, which
	// makes it go at the pace of its slowest consumer and lose nothing.
	Timeout trapout.Timeout
}

// Exporter implements flow.Exporter on a TRAP output. It is not safe for concurrent
// use, which flow.Exporter does not require.
type Exporter struct {
	out  *trapout.Output
	ctx  *trapout.Context // owned when made by Open
	opts Options
	tmpl *unirec.Template
	f    fields
	rec  []byte
	// eofQueued is set while the end-of-data marker waits in the output's buffer,
	// where a failed flush would count it among the lost messages.
	eofQueued bool
}

// LostError reports how many flow records an Export, Flush or Close lost: records
// in containers the output could not write, and records Export could not queue.
// Records it does not count were queued or written.
type LostError struct {
	Records int
	Err     error
}

func (e *LostError) Error() string { return e.Err.Error() }

func (e *LostError) Unwrap() error { return e.Err }

// fields holds the index of each field of the template; a plugin's field not in
// it is -1.
type fields struct {
	dstIP, srcIP, bytes, bytesRev, link, first, last, dstMAC, srcMAC   int
	packets, packetsRev, dstPort, srcPort, dir, proto, flags, flagsRev int
	vlan, icmp                                                         int
}

// New sets the basic flow template, with the fields of opts.Plugins, and
// opts.Timeout on out (a timeout in out's specifier wins) and returns an exporter
// that sends to it. The caller keeps owning out's context.
func New(out *trapout.Output, opts Options) (*Exporter, error) {
	spec, err := TemplateWith(opts.Plugins)
	if err != nil {
		return nil, fmt.Errorf("flow exporter: %w", err)
	}
	tmpl, err := unirec.ParseTemplate(spec)
	if err != nil {
		return nil, fmt.Errorf("flow exporter: %w", err)
	}
	if err := out.SetTemplate(tmpl); err != nil {
		return nil, fmt.Errorf("flow exporter: %w", err)
	}
	out.SetTimeout(opts.Timeout)
	ix := tmpl.Index
	return &Exporter{
		out:  out,
		opts: opts,
		tmpl: tmpl,
		rec:  tmpl.NewRecord(),
		f: fields{
			dstIP: ix("DST_IP"), srcIP: ix("SRC_IP"), bytes: ix("BYTES"),
			bytesRev: ix("BYTES_REV"), link: ix("LINK_BIT_FIELD"),
			first: ix("TIME_FIRST"), last: ix("TIME_LAST"),
			dstMAC: ix("DST_MAC"), srcMAC: ix("SRC_MAC"),
			packets: ix("PACKETS"), packetsRev: ix("PACKETS_REV"),
			dstPort: ix("DST_PORT"), srcPort: ix("SRC_PORT"), dir: ix("DIR_BIT_FIELD"),
			proto: ix("PROTOCOL"), flags: ix("TCP_FLAGS"), flagsRev: ix("TCP_FLAGS_REV"),
			vlan: ix("VLAN_ID"), icmp: ix("L4_ICMP_TYPE_CODE"),
		},
	}, nil
}

// Open opens the single output interface named by spec (a libtrap `-i` specifier
// such as "u:flows" or "t:7600") and returns an exporter that owns it.
func Open(spec string, opts Options) (*Exporter, error) {
	ctx, err := trapout.Open(spec, 0, 1)
	if err != nil {
		return nil, fmt.Errorf("flow exporter: %w", err)
	}
	e, err := New(ctx.Output(0), opts)
	if err != nil {
		ctx.Close()
		return nil, err
	}
	e.ctx = ctx
	return e, nil
}

// Export sends one record per flow. It allocates nothing while nothing fails. An
// error is a *LostError counting the records lost. When an output loses a container
// but takes messages again (an `f:` output on a full disk), Export goes on with the
// next flow, so that a disk with room again gets it; on any other error it stops,
// and the flows from the failing one on are lost.
func (e *Exporter) Export(records []flow.Record) error {
	lost := 0
	var first error
	for i := range records {
		e.encode(&records[i])
		err := e.out.Send(e.rec)
		if err == nil {
			continue
		}
		var le *trapout.LostError
		if !errors.As(err, &le) {
			return &LostError{Records: lost + len(records) - i,
				Err: fmt.Errorf("flow exporter: send: %w", err)}
		}
		lost += le.Messages
		if first == nil {
			first = err
		}
	}
	if first != nil {
		return &LostError{Records: lost, Err: fmt.Errorf("flow exporter: send: %w", first)}
	}
	return nil
}

// Flush sends the partly filled container. When the output loses it, the error is
// a *LostError counting its records.
func (e *Exporter) Flush() error {
	err := e.out.Flush()
	eof := e.eofQueued
	e.eofQueued = false
	if err == nil {
		return nil
	}
	err = fmt.Errorf("flow exporter: flush: %w", err)
	var le *trapout.LostError
	if !errors.As(err, &le) {
		return err
	}
	n := le.Messages
	if eof {
		n-- // the end-of-data marker is no record
	}
	return &LostError{Records: n, Err: err}
}

// Close sends the end-of-data marker if asked to, flushes, and closes the interface
// when the exporter opened it. Closing a socket output waits until connected clients
// have received everything.
func (e *Exporter) Close() error {
	if e.opts.SendEOF {
		if err := e.out.SendEOF(); err != nil {
			err = fmt.Errorf("flow exporter: send EOF: %w", err)
			var le *trapout.LostError
			if errors.As(err, &le) {
				// The marker is among the lost messages and no record.
				err = &LostError{Records: le.Messages - 1, Err: err}
			}
			return errors.Join(err, e.closeOwned())
		}
		e.eofQueued = true
	}
	if err := e.Flush(); err != nil {
		return errors.Join(err, e.closeOwned())
	}
	return e.closeOwned()
}

// closeOwned closes the context when the exporter opened it.
func (e *Exporter) closeOwned() error {
	if e.ctx != nil {
		return e.ctx.Close()
	}
	return nil
}
