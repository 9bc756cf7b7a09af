package main

import (
	"github.com/rs/zerolog"

	"github.com/flowprobe/flowprobe/probe/afxdp"
	"github.com/flowprobe/flowprobe/probe/capture"
	"github.com/flowprobe/flowprobe/probe/xdpsource"
)

// logAttach logs how an XDP program sits on the interface, for the sources that
// attach one: native mode runs it in the driver, generic mode after the kernel built
// a socket buffer, at a fraction of the speed.
func logAttach(log *zerolog.Logger, src capture.Source) {
	switch s := src.(type) {
	case *xdpsource.Source:
		log.Info().Stringer("xdp_mode", s.Mode()).Msg("XDP program attached")
	case *afxdp.Source:
		ev := log.Info().Stringer("bind_mode", s.BindMode()).Ints("queues", s.Queues())
		if m, ok := s.AttachMode(); ok {
			ev = ev.Stringer("xdp_mode", m)
		}
		ev.Msg("AF_XDP sockets bound")
	}
}
