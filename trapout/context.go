package trapout

import (
	"errors"
	"fmt"

	"github.com/flowprobe/flowprobe/trapout/ifc"
	"github.com/flowprobe/flowprobe/trapout/ifc/stream"
	"github.com/flowprobe/flowprobe/trapout/service"
)

// Context holds the interfaces of one module, as libtrap's context does.
type Context struct {
	inputs  []*Input
	outputs []*Output
	svc     *service.Server // nil when disabled or when it could not be created
	svcErr  error
}

// Open parses spec (the `-i` argument: inputs first, then outputs) and opens every
// interface. Socket outputs listen at once; socket inputs connect on their first
// Recv. The counts must match the specifier exactly (a negative count takes the
// rest). On error nothing stays open.
//
// Like every libtrap module, the context also serves the counters of its interfaces
// on the service socket trap-service_<pid>.sock in the socket directory, until
// Close. A module that cannot create it runs on without it (see OpenWith).
func Open(spec string, inputs, outputs int) (*Context, error) {
	return OpenWith(spec, inputs, outputs, Options{})
}

// OpenWith is Open with options for the service socket.
func OpenWith(spec string, inputs, outputs int, opt Options) (*Context, error) {
	specs, err := ifc.Parse(spec, inputs, outputs)
	if err != nil {
		return nil, err
	}
	c := &Context{}
	for _, s := range specs {
		if err := c.open(s); err != nil {
			c.Close()
			return nil, err
		}
	}
	if !opt.NoService {
		c.startService(opt)
	}
	return c, nil
}

func (c *Context) open(s ifc.Spec) error {
	dir := "output"
	if s.Input {
		dir = "input"
	}
	var err error
	if s.Input {
		var r receiver
		r, err = openInput(s)
		if err == nil {
			c.inputs = append(c.inputs, &Input{spec: s, impl: r})
		}
	} else {
		var snd sender
		snd, err = openOutput(s)
		if err == nil {
			c.outputs = append(c.outputs, &Output{spec: s, impl: snd})
		}
	}
	if err != nil {
		return fmt.Errorf("open %s %d (%c): %w", dir, s.Index, s.Kind, err)
	}
	return nil
}

func openInput(s ifc.Spec) (receiver, error) {
	switch s.Kind {
	case ifc.TCP, ifc.UNIX, ifc.TLS:
		return stream.NewClient(s)
	case ifc.File:
		return openFileInput(s)
	}
	return nil, fmt.Errorf("no input of type %c", s.Kind)
}

func openOutput(s ifc.Spec) (sender, error) {
	switch s.Kind {
	case ifc.TCP, ifc.UNIX, ifc.TLS:
		return stream.NewServer(s)
	case ifc.File:
		return openFileOutput(s)
	case ifc.Blackhole:
		return &blackhole{}, nil
	}
	return nil, fmt.Errorf("no output of type %c", s.Kind)
}

// Inputs returns the number of input interfaces.
func (c *Context) Inputs() int { return len(c.inputs) }

// Outputs returns the number of output interfaces.
func (c *Context) Outputs() int { return len(c.outputs) }

// Input returns input interface i (counting from 0); it panics if there is none.
func (c *Context) Input(i int) *Input { return c.inputs[i] }

// Output returns output interface i (counting from 0); it panics if there is none.
func (c *Context) Output(i int) *Output { return c.outputs[i] }

// Close finishes the module's interfaces as libtrap's finalize does: the service
// socket goes first, then every output sends its partly filled container, waits
// until each connected client has received everything, then disconnects its clients
// and stops listening (a UNIX socket file is removed); inputs disconnect. It returns
// the errors met and closes everything anyway.
func (c *Context) Close() error {
	var errs []error
	if c.svc != nil {
		if err := c.svc.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close service socket: %w", err))
		}
		c.svc = nil
	}
	for _, o := range c.outputs {
		if err := o.impl.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close output %d: %w", o.spec.Index, err))
		}
	}
	for _, in := range c.inputs {
		if err := in.impl.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close input %d: %w", in.spec.Index, err))
		}
	}
	return errors.Join(errs...)
}
