package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// sink is an IPFIX collector on 127.0.0.1 that only counts what it receives.
type sink struct {
	conn  *net.UDPConn
	stop  chan struct{}
	done  chan struct{}
	count *recordCounter
	// firstErr is the first malformed message, kept to explain a count of them.
	firstErr error
}

// quietPeriod is how long the sink must hear nothing, once stopped, before it closes:
// datagrams still queued in its socket are counted first.
const quietPeriod = 300 * time.Millisecond

func startSink() (*sink, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("listen for IPFIX: %w", err)
	}
	// A probe at the end of a trace sends its records in one burst; the kernel caps
	// this at net.core.rmem_max, which hack/setup-test-host.sh raises.
	if err := conn.SetReadBuffer(32 << 20); err != nil {
		conn.Close()
		return nil, fmt.Errorf("size IPFIX socket buffer: %w", err)
	}
	s := &sink{conn: conn, stop: make(chan struct{}), done: make(chan struct{}),
		count: newRecordCounter()}
	go s.receive()
	return s, nil
}

// port is the UDP port the sink listens on.
func (s *sink) port() int { return s.conn.LocalAddr().(*net.UDPAddr).Port }

func (s *sink) receive() {
	defer close(s.done)
	buf := make([]byte, 65535)
	for {
		if err := s.conn.SetReadDeadline(time.Now().Add(quietPeriod)); err != nil {
			return
		}
		n, err := s.conn.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			select {
			case <-s.stop:
				return
			default:
				continue
			}
		}
		if err != nil {
			return
		}
		if err := s.count.add(buf[:n]); err != nil && s.firstErr == nil {
			s.firstErr = err
		}
	}
}

// finish waits until the sink has been quiet for quietPeriod, closes it and returns
// its counts, the datagrams the kernel dropped for want of room in its socket (-1
// when unknown), and the first malformed message.
func (s *sink) finish() (count *recordCounter, drops int64, firstErr error) {
	close(s.stop)
	<-s.done
	drops = udpDrops(s.port())
	s.conn.Close()
	return s.count, drops, s.firstErr
}

// udpDrops returns the drop counter of the IPv4 UDP socket bound to 127.0.0.1:port,
// from /proc/net/udp, or -1 when it cannot be read.
func udpDrops(port int) int64 {
	data, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return -1
	}
	local := fmt.Sprintf("0100007F:%04X", port)
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		// The columns end with inode, ref, pointer and drops.
		if len(f) >= 13 && f[1] == local {
			n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}
