package afxdp

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// enterPromiscuous puts the interface into promiscuous mode for as long as the
// returned socket stays open. An AF_PACKET membership is used rather than setting the
// interface flag because the kernel counts memberships and drops this one when the
// socket closes, also when the process dies, so the interface never stays
// promiscuous by mistake. The socket's protocol is 0, so it receives nothing.
func enterPromiscuous(ifindex int) (int, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("enter promiscuous mode: %w", privilegeHint(err))
	}
	mreq := unix.PacketMreq{Ifindex: int32(ifindex), Type: unix.PACKET_MR_PROMISC}
	err = unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq)
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("enter promiscuous mode: %w", err)
	}
	return fd, nil
}
