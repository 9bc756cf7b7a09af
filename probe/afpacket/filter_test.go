package afpacket

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/capture"
)

func TestParseBPF(t *testing.T) {
	cases := []struct {
		name, text string
		want       []unix.SockFilter
		err        string
	}{
		{"one instruction", "1\n6 0 0 262144\n",
			[]unix.SockFilter{{Code: 6, K: 262144}}, ""},
		{"jumps", "2\n21 0 1 2048\n6 0 0 0\n",
			[]unix.SockFilter{{Code: 21, Jf: 1, K: 2048}, {Code: 6}}, ""},
		{"count too high", "3\n6 0 0 0\n", nil, "announces 3 instructions, 1 follow"},
		{"zero", "0\n", nil, "line 1: 0 instructions"},
		{"not a number", "x\n", nil, "line 1: instruction count"},
		{"three fields", "1\n6 0 0\n", nil, "line 2: 3 fields"},
		{"jump out of range", "1\n21 256 0 1\n", nil, "line 2:"},
		{"k out of range", "1\n6 0 0 4294967296\n", nil, "line 2:"},
		{"code out of range", "1\n65536 0 0 0\n", nil, "line 2:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseBPF(c.text)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("instruction %d: %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestCompileFilter(t *testing.T) {
	if _, err := findTcpdump(); err != nil {
		t.Skip(err)
	}
	prog, err := compileFilter("tcp port 80", capture.LinkEthernet, 128)
	if err != nil {
		t.Fatal(err)
	}
	// The program ends with "accept 128 bytes" and "reject".
	last := prog[len(prog)-2:]
	if last[0].Code != unix.BPF_RET|unix.BPF_K || last[0].K != 128 || last[1].K != 0 {
		t.Errorf("program ends with %+v", last)
	}
	// Raw IP programs look at the IP header from byte 0, not after 14 Ethernet bytes.
	raw, err := compileFilter("ip", capture.LinkRaw, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) == 0 || raw[len(raw)-2].K != fullSnaplen {
		t.Errorf("raw program %+v", raw)
	}
	if _, err := compileFilter("port", capture.LinkEthernet, 0); err == nil ||
		!strings.Contains(err.Error(), `"port"`) {
		t.Errorf("bad expression gave %v", err)
	}
}

// FuzzParseBPF checks that any tcpdump output is either rejected with an error or
// parsed into a program of the announced length, never a panic.
func FuzzParseBPF(f *testing.F) {
	f.Add("1\n6 0 0 262144\n")
	f.Add("4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n")
	f.Add("\n")
	f.Fuzz(func(t *testing.T, text string) {
		prog, err := parseBPF(text)
		if err != nil {
			return
		}
		if len(prog) < 1 || len(prog) > maxInstructions {
			t.Fatalf("accepted a program of %d instructions", len(prog))
		}
	})
}
