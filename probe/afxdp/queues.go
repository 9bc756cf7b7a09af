package afxdp

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ethtoolChannels is struct ethtool_channels of <linux/ethtool.h>.
type ethtoolChannels struct {
	cmd                                         uint32
	maxRx, maxTx, maxOther, maxCombined         uint32
	rxCount, txCount, otherCount, combinedCount uint32
}

// ifreqData is struct ifreq with the ifr_data member, padded to the union's size.
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte
}

// rxQueues counts the RX queues of the interface in the calling thread's network
// namespace. Each combined channel and each RX-only channel ethtool reports is one
// RX queue. Drivers without ethtool channel support report the number of RX queues
// the kernel allocated for the device through netlink instead. /sys/class/net is not
// read because it shows the network namespace sysfs was mounted in, which need not be
// the caller's.
func rxQueues(name string) (int, error) {
	n, err := ethtoolRxQueues(name)
	if err == nil && n > 0 {
		return n, nil
	}
	if err != nil && !errors.Is(err, unix.EOPNOTSUPP) {
		return 0, err
	}
	link, lerr := netlink.LinkByName(name)
	if lerr != nil {
		return 0, fmt.Errorf("count rx queues of %s: %w", name, lerr)
	}
	return max(link.Attrs().NumRxQueues, 1), nil
}

func ethtoolRxQueues(name string) (int, error) {
	if len(name) >= unix.IFNAMSIZ {
		return 0, fmt.Errorf("interface name %q is too long", name)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("count rx queues of %s: open socket: %w", name, err)
	}
	defer unix.Close(fd)

	ch := ethtoolChannels{cmd: unix.ETHTOOL_GCHANNELS}
	var ifr ifreqData
	copy(ifr.name[:], name)
	ifr.data = unsafe.Pointer(&ch)
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL,
		uintptr(unsafe.Pointer(&ifr)))
	switch {
	case errno == unix.EOPNOTSUPP:
		return 0, errno
	case errno != 0:
		return 0, fmt.Errorf("count rx queues of %s: ethtool channels: %w", name, errno)
	}
	return int(ch.rxCount + ch.combinedCount), nil
}
