package stream

import (
	"crypto/tls"
	"net"

	"golang.org/x/sys/unix"
)

// peerID names a client as libtrap's statistics do: by the process ID the kernel
// reports for a UNIX socket peer, by the remote port for TCP and TLS. It is 0 when
// neither can be found.
func peerID(conn net.Conn) uint32 {
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	switch c := conn.(type) {
	case *net.TCPConn:
		if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
			return uint32(a.Port)
		}
	case *net.UnixConn:
		raw, err := c.SyscallConn()
		if err != nil {
			return 0
		}
		var pid int32
		raw.Control(func(fd uintptr) {
			cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
			if err == nil {
				pid = cred.Pid
			}
		})
		return uint32(pid)
	}
	return 0
}
