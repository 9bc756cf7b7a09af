package ifc

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func parseTCP(s *Spec, p []string) error {
	if s.Input {
		switch len(p) {
		case 1:
			s.Host, s.Port = "localhost", p[0]
		case 2:
			s.Host, s.Port = p[0], p[1]
		default:
			return fmt.Errorf("TCP input wants [host:]port, got %d parameters", len(p))
		}
		if s.Host == "" {
			return fmt.Errorf("empty host")
		}
		return checkPort(s.Port)
	}
	if len(p) == 0 {
		return fmt.Errorf("TCP output wants a port")
	}
	s.Port = p[0]
	if err := checkPort(s.Port); err != nil {
		return err
	}
	return parseOutputOptions(s, p[1:], DefaultMaxClients)
}

func parseUNIX(s *Spec, p []string) error {
	switch {
	case s.Input && len(p) == 2:
		s.Name = p[1]
	case len(p) >= 1 && (!s.Input || len(p) == 1):
		s.Name = p[0]
		if !s.Input {
			if err := parseOutputOptions(s, p[1:], DefaultMaxClients); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("UNIX interface wants a socket name")
	}
	if s.Name == "" || strings.ContainsRune(s.Name, '/') {
		return fmt.Errorf("invalid socket name %q", s.Name)
	}
	s.SocketPath = SocketPath(s.Name)
	return nil
}

func parseTLS(s *Spec, p []string) error {
	if s.Input {
		switch len(p) {
		case 4:
			s.Host = "localhost"
		case 5:
			s.Host, p = p[0], p[1:]
		default:
			return fmt.Errorf("TLS input wants [host:]port:keyfile:certfile:CAfile, "+
				"got %d parameters", len(p))
		}
	} else if len(p) < 4 {
		return fmt.Errorf("TLS output wants port:keyfile:certfile:CAfile, got %d parameters",
			len(p))
	}
	s.Port, s.KeyFile, s.CertFile, s.CAFile = p[0], p[1], p[2], p[3]
	if err := checkPort(s.Port); err != nil {
		return err
	}
	for _, f := range [...]struct{ name, v string }{
		{"keyfile", s.KeyFile}, {"certfile", s.CertFile}, {"CAfile", s.CAFile},
	} {
		if f.v == "" {
			return fmt.Errorf("empty %s", f.name)
		}
	}
	if s.Input {
		return nil
	}
	// libtrap applies no client limit to TLS outputs.
	return parseOutputOptions(s, p[4:], 0)
}

// parseOutputOptions reads max_clients=, buffer_count= and buffer_size=, in any
// order. A clientLimit of 0 means max_clients is not capped.
func parseOutputOptions(s *Spec, opts []string, clientLimit int) error {
	for _, o := range opts {
		name, value, _ := strings.Cut(o, "=")
		if name != "max_clients" && name != "buffer_count" && name != "buffer_size" {
			return fmt.Errorf("unknown option %q (want max_clients, buffer_count or "+
				"buffer_size)", o)
		}
		n, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("option %q: want name=number", o)
		}
		switch name {
		case "max_clients":
			if n < 1 {
				return fmt.Errorf("option %q: want at least 1", o)
			}
			if clientLimit > 0 && n > clientLimit {
				return fmt.Errorf("option %q: want 1 to %d", o, clientLimit)
			}
			s.MaxClients = n
		case "buffer_count":
			if n < 1 {
				return fmt.Errorf("option %q: want at least 1", o)
			}
			s.BufferCount = n
		case "buffer_size":
			// Receivers read a container's payload into 100001 bytes without checking.
			if n < MinBufferSize || n > DefaultBufferSize {
				return fmt.Errorf("option %q: want %d to %d", o, MinBufferSize,
					DefaultBufferSize)
			}
			s.BufferSize = n
		}
	}
	return nil
}

// checkPort accepts a port number from 1 to 65535 or a service name.
func checkPort(port string) error {
	if port == "" {
		return fmt.Errorf("empty port")
	}
	if port[0] < '0' || port[0] > '9' {
		return nil // a service name, resolved when the socket is opened
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q: want 1 to 65535 or a service name", port)
	}
	return nil
}

// SocketPath returns the file a UNIX interface named name binds or connects to:
// trap-<name>.sock in $TRAP_SOCKET_DIR, or in /tmp when that is unset. As in libtrap,
// the variable is ignored in a setuid or setgid process.
func SocketPath(name string) string {
	dir := DefaultSocketDir
	if d := os.Getenv("TRAP_SOCKET_DIR"); d != "" &&
		os.Getuid() == os.Geteuid() && os.Getgid() == os.Getegid() {
		dir = d
	}
	return filepath.Join(dir, "trap-"+name+".sock")
}
