package afxdp

import (
	"errors"
	"fmt"

	"github.com/asavie/xdp"
	"github.com/cilium/ebpf"

	"github.com/flowprobe/flowprobe/bpf/attach"
)

// redirect is what steers frames into the sockets: the caller's XSKMAP, or the
// source's own program with its maps, attached to the interface.
type redirect struct {
	xsks   *ebpf.Map
	prog   *xdp.Program // nil when the caller redirects
	link   *attach.Link
	queues []int // entries stored in xsks
}

// newRedirect stores the sockets in the caller's XSKMAP or, without one, loads the
// redirect-everything program for an interface of rxQueues queues, registers the
// sockets with it and attaches it. On error, whatever it did is undone.
func newRedirect(o Options, socks []*socket, rxQueues int) (*redirect, error) {
	r := &redirect{xsks: o.XSKMap}
	if err := r.setup(o, socks, rxQueues); err != nil {
		return nil, errors.Join(err, r.close())
	}
	return r, nil
}

func (r *redirect) setup(o Options, socks []*socket, rxQueues int) error {
	if r.xsks != nil {
		if r.xsks.Type() != ebpf.XSKMap {
			return fmt.Errorf("xsk map: %v is a %v, not an XSKMap", r.xsks, r.xsks.Type())
		}
		for _, s := range socks {
			if uint32(s.queue) >= r.xsks.MaxEntries() {
				return fmt.Errorf("xsk map: queue %d is beyond its %d entries", s.queue,
					r.xsks.MaxEntries())
			}
			if err := r.xsks.Put(uint32(s.queue), uint32(s.fd)); err != nil {
				return fmt.Errorf("xsk map: store socket of queue %d: %w", s.queue, err)
			}
			r.queues = append(r.queues, s.queue)
		}
		return nil
	}

	// The program aborts, and so drops, frames of queues beyond its maps, so they
	// cover every queue: frames of queues without a socket then pass to the stack.
	prog, err := xdp.NewProgram(rxQueues)
	if err != nil {
		return fmt.Errorf("load redirect program: %w", err)
	}
	r.prog = prog
	for _, s := range socks {
		if err := prog.Register(s.queue, s.fd); err != nil {
			return fmt.Errorf("register socket of queue %d: %w", s.queue, err)
		}
	}
	// Sockets are registered before the program attaches, so no frame of an opened
	// queue is passed to the stack instead.
	r.link, err = attach.XDP(o.Interface, prog.Program, attach.Options{Mode: o.Attach})
	if err != nil {
		return fmt.Errorf("redirect program: %w", err)
	}
	return nil
}

// attachMode reports how the source's own program is attached, and false when the
// caller redirects.
func (r *redirect) attachMode() (attach.Mode, bool) {
	if r.link == nil {
		return 0, false
	}
	return r.link.Mode(), true
}

// close detaches the program first, so no frame is redirected to a socket that is
// about to close, then releases the program or clears the caller's map entries.
func (r *redirect) close() error {
	var errs []error
	if r.link != nil {
		errs = append(errs, r.link.Close())
		r.link = nil
	}
	if r.prog != nil {
		errs = append(errs, r.prog.Close())
		r.prog = nil
	}
	// The kernel also drops a socket from every map when the socket closes; removing
	// the entries first keeps the caller's map tidy while the sockets still exist.
	for _, q := range r.queues {
		err := r.xsks.Delete(uint32(q))
		if err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			errs = append(errs, fmt.Errorf("xsk map: remove socket of queue %d: %w", q, err))
		}
	}
	r.queues = nil
	return errors.Join(errs...)
}
