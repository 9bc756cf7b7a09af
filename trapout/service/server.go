package service

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
)

// MaxClients is how many supervisors libtrap serves at once; one more is accepted and
// closed at once.
const MaxClients = 64

// headerWait bounds the rest of a request header once its first byte came, and a
// reply write: libtrap gives up on a peer after three 25 ms waits.
const headerWait = 100 * time.Millisecond

// SocketName returns the UNIX interface name of the service socket of process pid,
// "service_<pid>".
func SocketName(pid int) string { return "service_" + strconv.Itoa(pid) }

// SocketPath returns the service socket file of process pid: trap-service_<pid>.sock
// in $TRAP_SOCKET_DIR, or in /tmp when that is unset.
func SocketPath(pid int) string { return ifc.SocketPath(SocketName(pid)) }

// ErrInUse is returned (wrapped) by Listen when a live process answers on the path.
var ErrInUse = errors.New("socket in use by a live process")

// served holds the paths this process serves, so that a second context of the same
// process is told so without a connection to itself.
var served sync.Map

// Server answers service requests on a UNIX socket until Close.
type Server struct {
	path   string
	ln     *net.UnixListener
	own    os.FileInfo // the socket file this server created
	report func() ([]byte, error)

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Listen creates the socket at path and serves requests on it. report is called once
// per request from the serving goroutine and returns the JSON document; an error from
// it closes that connection, as libtrap does when it cannot encode its counters.
//
// A stale socket file (nobody accepts on it) is replaced, as libtrap replaces it; a
// socket a live process accepts on is left alone and the error wraps ErrInUse, where
// libtrap would take the name over and leave the other process unreachable.
func Listen(path string, report func() ([]byte, error)) (*Server, error) {
	if other, ok := served.Load(path); ok && other.(*Server).ownsFile() {
		return nil, fmt.Errorf("service socket %s: %w (another context of this process)",
			path, ErrInUse)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("service socket %s: %w", path, ErrInUse)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("service socket %s: remove stale file: %w", path, err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("service socket: %w", err)
	}
	// The file is removed by Close only if it is still this server's.
	ln.SetUnlinkOnClose(false)
	own, err := os.Stat(path)
	if err == nil {
		err = os.Chmod(path, 0o666)
	}
	if err != nil {
		ln.Close()
		os.Remove(path)
		return nil, fmt.Errorf("service socket %s: %w", path, err)
	}
	s := &Server{path: path, ln: ln, own: own, report: report,
		conns: make(map[net.Conn]struct{})}
	served.Store(path, s)
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Path returns the socket file the server listens on.
func (s *Server) Path() string { return s.path }

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors or a similar passing fault: wait rather than spin.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		if s.closed || len(s.conns) >= MaxClients {
			s.mu.Unlock()
			conn.Close()
			continue
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(conn)
	}
}

// serve answers requests on conn until the peer leaves, sends a bad command or does
// not read its reply, or the server closes.
func (s *Server) serve(conn net.Conn) {
	defer s.wg.Done()
	defer s.forget(conn)
	var hdr [HeaderSize]byte
	var out []byte
	for {
		// A supervisor asks every few seconds: wait for the first byte without limit,
		// then for the rest of the header only briefly.
		conn.SetReadDeadline(time.Time{})
		if _, err := conn.Read(hdr[:1]); err != nil {
			return
		}
		conn.SetReadDeadline(time.Now().Add(headerWait))
		if _, err := readFull(conn, hdr[1:]); err != nil {
			return
		}
		h, _ := ParseHeader(hdr[:])
		if h.Command != CmdGetStats {
			return // libtrap drops a peer that sends anything else
		}
		doc, err := s.report()
		if err != nil {
			return
		}
		out = AppendHeader(out[:0], Header{Command: CmdReplyOK, DataSize: uint32(len(doc) + 1)})
		out = append(append(out, doc...), 0)
		conn.SetWriteDeadline(time.Now().Add(headerWait))
		if _, err := conn.Write(out); err != nil {
			return
		}
	}
}

func readFull(conn net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := conn.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (s *Server) forget(conn net.Conn) {
	conn.Close()
	s.mu.Lock()
	delete(s.conns, conn)
	s.mu.Unlock()
}

// Close stops listening, disconnects every peer, waits for the serving goroutines and
// removes the socket file if it is still the one this server created.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	served.CompareAndDelete(s.path, s)
	if s.ownsFile() {
		if rerr := os.Remove(s.path); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// ownsFile tells whether the socket file at the server's path is still the one it
// created.
func (s *Server) ownsFile() bool {
	fi, err := os.Stat(s.path)
	return err == nil && os.SameFile(fi, s.own)
}
