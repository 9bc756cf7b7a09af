package stream

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"

	"github.com/flowprobe/flowprobe/trapout/ifc"
)

// listen opens the listening socket of an output. TCP listens on every address
// (libtrap binds 0.0.0.0; Go's dual-stack socket also takes IPv6 clients) unless the
// spec names a host, which the `-i` syntax cannot but a program can. A UNIX
// socket replaces a stale file and is made writable for everyone, as libtrap does.
// Go sizes the accept backlog itself; libtrap uses max_clients.
func listen(s ifc.Spec) (net.Listener, error) {
	switch s.Kind {
	case ifc.UNIX:
		if err := os.Remove(s.SocketPath); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
		ln, err := net.Listen("unix", s.SocketPath)
		if err != nil {
			return nil, err
		}
		if err := os.Chmod(s.SocketPath, 0o666); err != nil {
			ln.Close()
			return nil, fmt.Errorf("chmod socket: %w", err)
		}
		return ln, nil
	case ifc.TLS:
		conf, err := serverTLS(s)
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(s.Host, s.Port))
		if err != nil {
			return nil, err
		}
		return tls.NewListener(ln, conf), nil
	}
	return net.Listen("tcp", net.JoinHostPort(s.Host, s.Port))
}
