package afpacket

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// htons converts a 16-bit value to network byte order, as sockaddr_ll wants.
func htons(v uint16) uint16 { return v<<8 | v>>8 }

// interfaceInfo returns the index and the link type of the named interface, asked
// through fd so that the answer comes from the socket's network namespace.
func interfaceInfo(fd int, name string) (int, capture.LinkType, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, 0, fmt.Errorf("interface %q: %w", name, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, 0, fmt.Errorf("interface %q: %w", name, err)
	}
	index := int(ifr.Uint32())

	ifr, _ = unix.NewIfreq(name)
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return 0, 0, fmt.Errorf("interface %q: hardware type: %w", name, err)
	}
	// The hardware address is a sockaddr whose family field holds the ARPHRD_ type.
	switch hatype := ifr.Uint16(); hatype {
	case unix.ARPHRD_ETHER, unix.ARPHRD_LOOPBACK:
		return index, capture.LinkEthernet, nil
	case unix.ARPHRD_NONE, unix.ARPHRD_RAWIP, unix.ARPHRD_TUNNEL, unix.ARPHRD_TUNNEL6:
		return index, capture.LinkRaw, nil
	default:
		return 0, 0, fmt.Errorf("interface %q: hardware type %d has no link layer the "+
			"packet parser reads (Ethernet or raw IP)", name, hatype)
	}
}

// attachFilter installs a classic BPF program on the socket.
func attachFilter(fd int, prog []unix.SockFilter) error {
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: unsafe.SliceData(prog)}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
		&fprog); err != nil {
		return fmt.Errorf("attach filter: %w", err)
	}
	return nil
}

// joinFanout adds the socket to a fanout group in hash mode. The first socket (first
// true) asks the kernel for an unused group id, which is returned for the other sockets
// to join. The kernel hands out ids from 0 up, so 0 is a valid group id.
func joinFanout(fd int, id uint16, first bool) (uint16, error) {
	arg := unix.PACKET_FANOUT_HASH << 16
	if first {
		arg |= unix.PACKET_FANOUT_FLAG_UNIQUEID << 16
	} else {
		arg |= int(id)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT, arg); err != nil {
		return 0, fmt.Errorf("join fanout group: %w", err)
	}
	// The kernel reports the group as id | type<<16 | flags<<24. A socket outside the
	// group would receive every frame, so membership is checked, not assumed.
	got, err := unix.GetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT)
	if err != nil {
		return 0, fmt.Errorf("read fanout group: %w", err)
	}
	if !first && uint16(got) != id || got>>16&0xff != unix.PACKET_FANOUT_HASH {
		return 0, fmt.Errorf("join fanout group %d: socket reports group %#x", id, got)
	}
	return uint16(got), nil
}
