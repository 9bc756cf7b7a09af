package trapout

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/flowprobe/flowprobe/trapout/ifc"
	"github.com/flowprobe/flowprobe/trapout/ifc/stream"
	"github.com/flowprobe/flowprobe/trapout/service"
	"github.com/flowprobe/flowprobe/trapout/trapcap"
)

// Options adjusts OpenWith. The zero value opens as Open does.
type Options struct {
	// ServiceName replaces the name of the service socket, trap-<name>.sock in the
	// socket directory; empty means service_<pid>, libtrap's default.
	ServiceName string
	// NoService opens no service socket, as libtrap does for a NULL service name.
	NoService bool
	// ServiceLog receives the one line written when the service socket cannot be
	// created, which libtrap prints on standard error; nil means os.Stderr.
	ServiceLog io.Writer
}

// startService opens the service socket. Failing to is not fatal, as in libtrap: the
// module runs on without it and says so once.
func (c *Context) startService(opt Options) {
	name := opt.ServiceName
	if name == "" {
		name = service.SocketName(os.Getpid())
	}
	var err error
	if strings.ContainsRune(name, '/') {
		err = fmt.Errorf("service socket name %q contains '/'", name)
	} else {
		c.svc, err = service.Listen(ifc.SocketPath(name), c.serviceReport)
	}
	if err != nil {
		c.svcErr = err
		w := opt.ServiceLog
		if w == nil {
			w = os.Stderr
		}
		fmt.Fprintf(w, "trapout: running without the service interface: %v\n", err)
	}
}

// ServicePath returns the file of the context's service socket, or "" when it has
// none or was closed. It must not be called while Close runs.
func (c *Context) ServicePath() string {
	if c.svc == nil {
		return ""
	}
	return c.svc.Path()
}

// ServiceErr returns why the context has no service socket: nil when it has one or
// when Options.NoService turned it off.
func (c *Context) ServiceErr() error { return c.svcErr }

func (c *Context) serviceReport() ([]byte, error) { return service.Marshal(c.Report()) }

// Report returns the counters of every interface as the service interface sends them
// to a supervisor. It may be called while other goroutines send and receive.
func (c *Context) Report() service.Report {
	r := service.Report{InCount: len(c.inputs), OutCount: len(c.outputs),
		In:  make([]service.Input, 0, len(c.inputs)),
		Out: make([]service.Output, 0, len(c.outputs))}
	var summary stream.ClientStats // what the t: and u: inputs received, together
	for _, in := range c.inputs {
		e := service.Input{ID: ifcID(in.spec), Type: int(in.spec.Kind),
			Messages: in.messages.Load(), DelayLast: in.delayLast.Load() / 1000,
			DelayTotal: in.delayTotal.Load() / 1000}
		switch impl := in.impl.(type) {
		case *stream.Client:
			st := impl.Stats()
			e.Buffers = st.Containers
			if st.Connected {
				e.State = 1
			}
			if in.spec.Kind != ifc.TLS {
				summary.Containers += st.Containers
				summary.Messages += st.Messages
				summary.Missed += st.Missed
			}
		case *fileInput:
			e.Buffers, e.State = impl.Buffers(), 1
		}
		r.In = append(r.In, e)
	}
	for _, o := range c.outputs {
		st := o.impl.Stats()
		e := service.Output{Clients: st.Clients, ID: ifcID(o.spec), Type: int(o.spec.Kind),
			Sent: st.Sent, Dropped: o.dropped.Load(), Buffers: st.Containers,
			Autoflushes: st.Flushes, ClientStats: []any{}}
		if srv, ok := o.impl.(*stream.Server); ok {
			e.ClientStats = clientStats(o.spec.Kind, srv, summary)
		}
		r.Out = append(r.Out, e)
	}
	return r
}

// clientStats lists the clients of a socket output as libtrap does: t: and u:
// outputs start with the summary of the module's own t: and u: inputs and write
// counters as strings, T: outputs list only clients, with numbers.
func clientStats(k ifc.Kind, srv *stream.Server, in stream.ClientStats) []any {
	peers := srv.PeerStats(nil)
	list := make([]any, 0, len(peers)+1)
	if k != ifc.TLS {
		list = append(list, service.SocketInputSummary(in.Containers, in.Messages, in.Missed))
	}
	for _, p := range peers {
		if k == ifc.TLS {
			list = append(list, service.NewTLSClient(p.ID, p.Containers, p.Messages,
				p.SkippedRecords))
		} else {
			list = append(list, service.NewSocketClient(p.ID, p.Containers, p.Messages,
				p.SkippedRecords))
		}
	}
	return list
}

// ifcID is the interface's "ifc_id": the socket name of u:, the port of t: and T:,
// the path of f: and "none" for b:, as libtrap names them. An f: output gives its
// path template, where libtrap gives the name of the file being written.
func ifcID(s ifc.Spec) string {
	switch s.Kind {
	case ifc.UNIX:
		return s.Name
	case ifc.TCP, ifc.TLS:
		return s.Port
	case ifc.File:
		if !s.Input {
			if path, _, err := trapcap.ParseOutputParams(s.Params); err == nil {
				return path
			}
		}
		return s.Params
	}
	return "none"
}
