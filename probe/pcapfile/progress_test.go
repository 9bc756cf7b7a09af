package pcapfile

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/probe/capture"
)

func TestProgressRender(t *testing.T) {
	cases := []struct {
		read, size int64
		frames     uint64
		elapsed    time.Duration
		want       string
	}{
		{0, 4 << 20, 0, 0, "x.pcap [........................]   0.0% 0.0/4.0 MiB 0 frames " +
			"0.00 Mframes/s"},
		{1 << 20, 4 << 20, 500_000, time.Second, "x.pcap [######..................]  25.0% " +
			"1.0/4.0 MiB 500000 frames 0.50 Mframes/s"},
		{5 << 20, 4 << 20, 3_000_000, time.Second, "x.pcap [########################] " +
			"100.0% 5.0/4.0 MiB 3000000 frames 3.00 Mframes/s"},
		{3 << 20, -1, 1000, time.Second, "x.pcap 3.0 MiB 1000 frames 0.00 Mframes/s"},
	}
	for _, c := range cases {
		p := &progress{name: "x.pcap", size: c.size,
			read: func() int64 { return c.read }, done: func() uint64 { return c.frames }}
		if got := p.render(c.elapsed); got != c.want {
			t.Errorf("render:\n got %q\nwant %q", got, c.want)
		}
	}
}

func TestProgressWritesOnlyWhenAsked(t *testing.T) {
	path := filepath.Join(testdataDir, "gopacket-cip.pcap")
	for _, c := range []struct {
		name string
		opts func(*bytes.Buffer) Options
		want bool
	}{
		{"writer given", func(b *bytes.Buffer) Options { return Options{Progress: b} }, true},
		{"turned off", func(b *bytes.Buffer) Options {
			return Options{Progress: b, NoProgress: true}
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			s, err := Open(path, c.opts(&buf))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Run(context.Background(), []capture.Handler{&recorder{}}); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !c.want {
				if out != "" {
					t.Errorf("progress written: %q", out)
				}
				return
			}
			// The final line shows the whole file and every frame.
			if !strings.HasSuffix(out, "\n") || !strings.Contains(out, "100.0%") ||
				!strings.Contains(out, " 26068 frames ") {
				t.Errorf("final progress line missing: %q", out)
			}
		})
	}
	// Without a writer, a small file or a stderr that is no terminal (as under go
	// test) gets no bar.
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.progressBar() != nil {
		t.Error("a progress bar is drawn for a small file or a non-terminal")
	}
}
