package attach

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Mode is how an XDP program sits in an interface's receive path.
type Mode int

// Attach modes.
const (
	// ModeAuto tries native mode and falls back to generic mode.
	ModeAuto Mode = iota
	// ModeNative runs the program in the driver, before any socket buffer exists.
	ModeNative
	// ModeGeneric runs the program after the kernel built a socket buffer; it
	// works with every driver, at a higher cost per packet.
	ModeGeneric
)

// String names the mode as ip-link(8) does.
func (m Mode) String() string {
	switch m {
	case ModeNative:
		return "xdpdrv"
	case ModeGeneric:
		return "xdpgeneric"
	}
	return "auto"
}

// ErrOtherProgram is returned, wrapped, when the interface already runs an XDP
// program that Options.Force does not allow to replace.
var ErrOtherProgram = errors.New("another xdp program is attached")

// Options set how XDP attaches.
type Options struct {
	// Mode is ModeAuto by default.
	Mode Mode
	// Force removes an XDP program that someone else attached through netlink
	// (ip link set dev X xdp ...) before attaching. A program held by another
	// process's BPF link cannot be removed and still fails with ErrOtherProgram.
	Force bool
}

// Link is an XDP program attached to an interface. Close detaches it.
type Link struct {
	link    link.Link
	closed  bool
	iface   string
	ifIndex int
	mode    Mode
}

// XDP attaches prog to the interface named iface in the calling thread's network
// namespace. It fails with ErrOtherProgram when the interface has an XDP program
// already and opts.Force is unset, and says so when the process lacks privileges.
func XDP(iface string, prog *ebpf.Program, opts Options) (*Link, error) {
	nlLink, err := netlink.LinkByName(iface)
	if err != nil {
		return nil, fmt.Errorf("attach xdp: interface %q: %w", iface, err)
	}
	attrs := nlLink.Attrs()
	if xdp := attrs.Xdp; xdp != nil && xdp.Attached {
		if !opts.Force {
			return nil, fmt.Errorf("attach xdp to %s: %w (program id %d)", iface,
				ErrOtherProgram, xdp.ProgId)
		}
		if err := removeForeign(nlLink, xdp); err != nil {
			if errors.Is(err, unix.EBUSY) {
				err = fmt.Errorf("%w: held by a bpf link: %w", ErrOtherProgram, err)
			}
			return nil, fmt.Errorf("attach xdp to %s: remove program id %d: %w", iface,
				xdp.ProgId, privilegeHint(err))
		}
	}

	modes := []Mode{opts.Mode}
	if opts.Mode == ModeAuto {
		modes = []Mode{ModeNative, ModeGeneric}
	}
	var errs []error
	for _, m := range modes {
		l, err := link.AttachXDP(link.XDPOptions{
			Program:   prog,
			Interface: attrs.Index,
			Flags:     modeFlags(m),
		})
		if err == nil {
			return &Link{link: l, iface: iface, ifIndex: attrs.Index, mode: m}, nil
		}
		if errors.Is(err, unix.EBUSY) || errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("attach xdp to %s: %w: %w", iface, ErrOtherProgram, err)
		}
		if errors.Is(err, unix.EPERM) {
			return nil, fmt.Errorf("attach xdp to %s: %w", iface, privilegeHint(err))
		}
		errs = append(errs, fmt.Errorf("%s: %w", m, err))
	}
	return nil, fmt.Errorf("attach xdp to %s: %w", iface, errors.Join(errs...))
}

func modeFlags(m Mode) link.XDPAttachFlags {
	if m == ModeGeneric {
		return link.XDPGenericMode
	}
	return link.XDPDriverMode
}

// removeForeign detaches a program attached through netlink, in the mode it runs in.
func removeForeign(l netlink.Link, xdp *netlink.LinkXdp) error {
	flags := nl.XDP_FLAGS_DRV_MODE
	if xdp.AttachMode == nl.XDP_ATTACHED_SKB {
		flags = nl.XDP_FLAGS_SKB_MODE
	}
	return netlink.LinkSetXdpFdWithFlags(l, -1, flags)
}

func privilegeHint(err error) error {
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("%w (needs CAP_NET_ADMIN and CAP_BPF, or root)", err)
	}
	return err
}

// Mode reports the mode the program was attached in: ModeNative or ModeGeneric.
func (l *Link) Mode() Mode { return l.mode }

// IfIndex reports the index of the interface the program is attached to.
func (l *Link) IfIndex() int { return l.ifIndex }

// Interface reports the name of the interface the program is attached to.
func (l *Link) Interface() string { return l.iface }

// Attached reports whether the program is still attached: false after Close, and
// false once the interface has been removed, which detaches the program without
// telling the process.
func (l *Link) Attached() (bool, error) {
	if l.closed {
		return false, nil
	}
	info, err := l.link.Info()
	if err != nil {
		return false, fmt.Errorf("read xdp link on %s: %w", l.iface, err)
	}
	// The kernel reports interface index 0 for a link whose interface is gone.
	if x := info.XDP(); x == nil || x.Ifindex == 0 {
		return false, nil
	}
	return true, nil
}

// Close detaches the program. Programs still running on other CPUs finish their
// current packet; wait for an RCU grace period before reading what they wrote.
// Calling Close again does nothing. A Link is not safe for concurrent use.
func (l *Link) Close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	if err := l.link.Close(); err != nil {
		return fmt.Errorf("detach xdp from %s: %w", l.iface, err)
	}
	return nil
}
