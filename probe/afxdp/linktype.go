package afxdp

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// linkType returns the link type of the named interface in the calling thread's
// network namespace. XDP sees a frame from its link-layer header on, so Ethernet and
// loopback devices give Ethernet frames and devices without a link layer (tun, IP
// tunnels) give bare IP packets.
func linkType(name string) (capture.LinkType, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("interface %q: open socket: %w", name, err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, fmt.Errorf("interface %q: %w", name, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return 0, fmt.Errorf("interface %q: hardware type: %w", name, err)
	}
	// The hardware address is a sockaddr whose family field holds the ARPHRD_ type.
	switch hatype := ifr.Uint16(); hatype {
	case unix.ARPHRD_ETHER, unix.ARPHRD_LOOPBACK:
		return capture.LinkEthernet, nil
	case unix.ARPHRD_NONE, unix.ARPHRD_RAWIP, unix.ARPHRD_TUNNEL, unix.ARPHRD_TUNNEL6:
		return capture.LinkRaw, nil
	default:
		return 0, fmt.Errorf("interface %q: hardware type %d has no link layer the "+
			"packet parser reads (Ethernet or raw IP)", name, hatype)
	}
}
