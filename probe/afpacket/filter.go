package afpacket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// maxInstructions is the kernel's limit on a classic BPF program (BPF_MAXINSNS).
const maxInstructions = 4096

// fullSnaplen is what tcpdump calls a whole frame: libpcap's largest snap length.
const fullSnaplen = 262144

// filterCompileTimeout bounds how long tcpdump may take to compile an expression.
const filterCompileTimeout = 10 * time.Second

// tcpdumpPaths are tried in order; root's PATH may lack /usr/sbin under some sudo and
// service setups.
var tcpdumpPaths = []string{"tcpdump", "/usr/sbin/tcpdump", "/usr/bin/tcpdump"}

// compileFilter turns a tcpdump expression into a classic BPF program for frames of
// the given link type, returning at most snaplen bytes of each accepted frame (0
// means whole frames).
//
// It runs `tcpdump -ddd`, which prints libpcap's compilation. libpcap is the reference
// implementation of this filter language, so every expression users know from
// tcpdump works and means the same; the pure Go compilers on the module proxy cover a
// subset of the grammar, and gopacket/pcap needs cgo and libpcap headers at build
// time. The price is that tcpdump must be installed when a filter is used.
//
// The program is compiled for frames as they appear on the wire. On Linux the kernel
// removes 802.1Q tags before filters run, so "vlan" primitives do not match on
// interfaces with VLAN offload (most NICs, veth), and expressions without "vlan"
// also match tagged traffic.
func compileFilter(expr string, lt capture.LinkType, snaplen int) ([]unix.SockFilter, error) {
	var dlt string
	switch lt {
	case capture.LinkEthernet:
		dlt = "EN10MB"
	case capture.LinkRaw:
		dlt = "RAW"
	default:
		return nil, fmt.Errorf("compile filter: no tcpdump link type for %d", lt)
	}
	if snaplen == 0 {
		snaplen = fullSnaplen
	}

	path, err := findTcpdump()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), filterCompileTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-y", dlt, "-s", strconv.Itoa(snaplen), "-ddd",
		"--", expr)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := lastLine(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("compile filter %q: %s", expr, msg)
	}
	prog, err := parseBPF(stdout.String())
	if err != nil {
		return nil, fmt.Errorf("compile filter %q: tcpdump output: %w", expr, err)
	}
	return prog, nil
}

func findTcpdump() (string, error) {
	for _, p := range tcpdumpPaths {
		if path, err := exec.LookPath(p); err == nil {
			return path, nil
		}
	}
	return "", errors.New("compile filter: tcpdump not found; install it (Debian package " +
		"tcpdump) to use filter expressions")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// snaplenProgram returns a program that accepts every frame and keeps snaplen bytes.
func snaplenProgram(snaplen int) []unix.SockFilter {
	return []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: uint32(snaplen)}}
}

// parseBPF reads the decimal listing that `tcpdump -ddd` prints: the instruction count
// on the first line, then one "code jt jf k" line per instruction.
func parseBPF(text string) ([]unix.SockFilter, error) {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	n, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil {
		return nil, fmt.Errorf("line 1: instruction count: %w", err)
	}
	if n < 1 || n > maxInstructions {
		return nil, fmt.Errorf("line 1: %d instructions, want 1 to %d", n, maxInstructions)
	}
	if len(lines)-1 != n {
		return nil, fmt.Errorf("line 1 announces %d instructions, %d follow", n, len(lines)-1)
	}

	prog := make([]unix.SockFilter, n)
	for i, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) != 4 {
			return nil, fmt.Errorf("line %d: %d fields, want 4", i+2, len(f))
		}
		code, err1 := strconv.ParseUint(f[0], 10, 16)
		jt, err2 := strconv.ParseUint(f[1], 10, 8)
		jf, err3 := strconv.ParseUint(f[2], 10, 8)
		k, err4 := strconv.ParseUint(f[3], 10, 32)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+2, err)
		}
		prog[i] = unix.SockFilter{Code: uint16(code), Jt: uint8(jt), Jf: uint8(jf),
			K: uint32(k)}
	}
	return prog, nil
}
