// Package trapout is the module API of NEMEA's libtrap in Go: a module opens the
// interfaces named by its `-i` argument, sets the data format of each output, sends
// and receives messages (UniRec records) and closes everything at the end, with the
// same wire bytes, negotiation and timeouts as libtrap 1.18.
//
// A minimal generator:
//
//	spec, verbosity, args, err := trapout.ModuleArgs(os.Args[1:])
//	ctx, err := trapout.Open(spec, 0, 1)
//	out := ctx.Output(0)
//	err = out.SetFormat("uint32 ID,string NAME")
//	for _, rec := range records {
//		if err := out.Send(rec); err != nil { ... }
//	}
//	out.SendEOF()
//	ctx.Close()
//
// A receiver loops on Input.Recv until it returns io.EOF; when the sender's template
// changes, Recv returns a *FormatChangedError once, before the first message of the
// new format.
//
// Interface types: t (TCP), u (UNIX socket), T (TLS), f (trapcap file) and b
// (blackhole output). The parsing rules are those of package ifc.
//
// Like libtrap, every Context serves the counters of its interfaces to the NEMEA
// supervisor and trap_stats on the service socket trap-service_<pid>.sock (package
// service); OpenWith renames or disables it.
//
// Not implemented: the broken test-only `g:` interface.
package trapout
