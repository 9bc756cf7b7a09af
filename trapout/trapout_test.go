package trapout

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowprobe/flowprobe/trapout/unirec"
)

const goldenDir = "../testdata/trap/"

func TestExtractVerbosity(t *testing.T) {
	tests := []struct {
		args  []string
		rest  []string
		level int
	}{
		{[]string{"-f", "x.csv"}, []string{"-f", "x.csv"}, 0},
		{[]string{"-v", "-f", "x.csv"}, []string{"-f", "x.csv"}, 1},
		{[]string{"-vv", "-t"}, []string{"-t"}, 2},
		{[]string{"-t", "-vvv"}, []string{"-t"}, 3},
		{[]string{"-vvvv", "-verbose"}, []string{"-vvvv", "-verbose"}, 0},
	}
	for _, tt := range tests {
		rest, level := ExtractVerbosity(tt.args)
		if level != tt.level || !slices.Equal(rest, tt.rest) {
			t.Errorf("%q: got %q and %d, want %q and %d", tt.args, rest, level, tt.rest,
				tt.level)
		}
	}
}

func TestExtractIfcSpec(t *testing.T) {
	tests := []struct {
		args    []string
		spec    string
		rest    []string
		wantErr string
	}{
		{[]string{"-f", "x.csv", "-i", "u:out", "-n"}, "u:out", []string{"-f", "x.csv", "-n"}, ""},
		{[]string{"-i", "t:1"}, "t:1", []string{}, ""},
		{[]string{"-ifoo", "-v"}, "", []string{"-ifoo", "-v"}, "not found"},
		{[]string{"-f", "-i"}, "", []string{"-f", "-i"}, "missing interface specifier"},
		{nil, "", nil, "option -i"},
	}
	for _, tt := range tests {
		spec, rest, err := ExtractIfcSpec(tt.args)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: error %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || spec != tt.spec || !slices.Equal(rest, tt.rest) {
			t.Errorf("%q: got %q %q %v", tt.args, spec, rest, err)
		}
	}
}

func TestModuleArgs(t *testing.T) {
	tests := []struct {
		args      []string
		spec      string
		verbosity int
		rest      []string
		err       error
	}{
		{[]string{"-vv", "-i", "u:in", "-t", "-c", "3"}, "u:in", 2, []string{"-t", "-c", "3"}, nil},
		{[]string{"-f", "x.csv", "-v"}, "", 1, []string{"-f", "x.csv"}, ErrNoIfcSpec},
		{[]string{"-i", "u:in", "--help"}, "", 0, nil, flag.ErrHelp},
		{[]string{"-h"}, "", 0, nil, flag.ErrHelp},
	}
	for _, tt := range tests {
		spec, verbosity, rest, err := ModuleArgs(tt.args)
		if spec != tt.spec || verbosity != tt.verbosity || !slices.Equal(rest, tt.rest) ||
			!errors.Is(err, tt.err) {
			t.Errorf("%q: got %q, %d, %q, %v; want %q, %d, %q, %v", tt.args, spec, verbosity,
				rest, err, tt.spec, tt.verbosity, tt.rest, tt.err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	t.Setenv("TRAP_SOCKET_DIR", t.TempDir())
	tests := []struct {
		spec    string
		in, out int
		want    string
	}{
		{"u:a", 1, 1, "bad number of IFCs"},
		{"g:1:a", 1, 0, "not supported"},
		{"f:/nonexistent/none.trapcap", 1, 0, "open input 0 (f)"},
		{"u:ok,T:1:/nonexistent.key:/nonexistent.crt:/ca", 0, 2, "open output 1 (T)"},
	}
	for _, tt := range tests {
		c, err := Open(tt.spec, tt.in, tt.out)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.spec, err, tt.want)
		}
		if c != nil {
			t.Errorf("%s: context returned with an error", tt.spec)
		}
	}
	// The first output of the failed Open was closed: its socket file is gone.
	if _, err := os.Stat(filepath.Join(os.Getenv("TRAP_SOCKET_DIR"), "trap-ok.sock")); err == nil {
		t.Error("socket of a failed Open left behind")
	}
}

// goldenRecords reads the messages of a golden trapcap file through an f: input.
func goldenRecords(t *testing.T, name string) (string, [][]byte) {
	t.Helper()
	ctx, err := Open("f:"+goldenDir+name, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	in := ctx.Input(0)
	var recs [][]byte
	var template string
	for {
		m, err := in.Recv()
		var fc *FormatChangedError
		switch {
		case errors.As(err, &fc):
			template = fc.Template
			continue
		case err == io.EOF:
			return template, recs
		case err != nil:
			t.Fatal(err)
		}
		recs = append(recs, slices.Clone(m))
	}
}

// TestFileRoundTrip writes the records of golden files through an f: output and
// expects the very bytes logreplay wrote.
func TestFileRoundTrip(t *testing.T) {
	tests := []struct{ golden, params string }{
		{"flows.trapcap", ""},
		{"flows.nobuf.trapcap", ":buffer=off"},
		{"basicflow.trapcap", ""},
		{"alltypes.trapcap", ""},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			template, recs := goldenRecords(t, tt.golden)
			out := filepath.Join(t.TempDir(), "out.trapcap")
			ctx, err := Open("f:"+out+tt.params, 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			o := ctx.Output(0)
			if err := o.SetFormat(template); err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if err := o.Send(r); err != nil {
					t.Fatal(err)
				}
			}
			o.SendEOF()
			if err := ctx.Close(); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(out)
			want, _ := os.ReadFile(goldenDir + tt.golden)
			if !bytes.Equal(got, want) {
				t.Fatalf("file differs from logreplay's: %d bytes, want %d", len(got), len(want))
			}
		})
	}
}

// TestSocketRoundTrip sends golden records from one context to another over each
// socket type and a required template.
func TestSocketRoundTrip(t *testing.T) {
	t.Setenv("TRAP_SOCKET_DIR", t.TempDir())
	template, recs := goldenRecords(t, "basicflow.trapcap")
	port := freePort(t)
	for _, pair := range [][2]string{
		{"u:rt", "u:rt"},
		{"t:" + port, "t:127.0.0.1:" + port},
		{"u:rt:buffer=off:timeout=HALF_WAIT", "u:rt:timeout=2000000"},
	} {
		t.Run(pair[0], func(t *testing.T) {
			sctx, err := Open(pair[0], 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			rctx, err := Open(pair[1], 1, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer rctx.Close()
			tmpl, err := unirec.ParseTemplate(template)
			if err != nil {
				t.Fatal(err)
			}
			out, in := sctx.Output(0), rctx.Input(0)
			in.SetRequiredTemplate(tmpl)
			if err := out.SetTemplate(tmpl); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				var got [][]byte
				for {
					m, err := in.Recv()
					if err == io.EOF {
						break
					}
					if err != nil {
						done <- err
						return
					}
					got = append(got, slices.Clone(m))
				}
				if !slices.EqualFunc(got, recs, bytes.Equal) {
					done <- errors.New("received records differ from those sent")
					return
				}
				done <- nil
			}()
			for out.Stats().Clients == 0 {
				// HALF_WAIT does not wait for the client: wait here instead.
				if err := out.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			for _, r := range recs {
				out.Send(r)
			}
			out.SendEOF()
			out.Flush()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if err := sctx.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

func TestRecvReportsMismatch(t *testing.T) {
	ctx, err := Open("f:"+goldenDir+"flows.trapcap", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	ctx.Input(0).SetRequired("uint32 NOT_THERE")
	_, err = ctx.Input(0).Recv()
	if !errors.Is(err, ErrFormatMismatch) || !strings.Contains(err.Error(), "NOT_THERE") {
		t.Fatalf("error %v, want a mismatch naming the field", err)
	}
}

func TestBlackhole(t *testing.T) {
	ctx, err := Open("b:", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	o := ctx.Output(0)
	o.SetFormat("uint32 A")
	for range 10 {
		if err := o.Send([]byte{1, 2, 3, 4}); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Send(make([]byte, 70000)); err == nil {
		t.Fatal("oversized message accepted")
	}
	if s := o.Stats(); s.Sent != 10 || s.Clients != 1 {
		t.Fatalf("stats %+v", s)
	}
	ctx.Close()
}
