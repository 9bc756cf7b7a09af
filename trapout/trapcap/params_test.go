package trapcap_test

import (
	"testing"

	"github.com/flowprobe/flowprobe/trapout/trapcap"
)

func TestParseOutputParams(t *testing.T) {
	t.Setenv("HOME", "/home/probe")
	t.Setenv("TRAPCAP_DIR", "/data")
	cases := []struct {
		params string
		path   string
		opts   trapcap.Options
	}{
		{"x.trapcap", "x.trapcap", trapcap.Options{}},
		{"x:w:a", "x", trapcap.Options{Append: true}},
		{"x:time=15:size=2", "x", trapcap.Options{RotateMinutes: 15, RotateSize: 2 << 20}},
		{"x:time=5min:size=junk:bogus", "x", trapcap.Options{RotateMinutes: 5}},
		{"x:buffer=off", "x", trapcap.Options{Unbuffered: true}},
		{"~/flows/x", "/home/probe/flows/x", trapcap.Options{}},
		{"$TRAPCAP_DIR/x second-word", "/data/x", trapcap.Options{}},
		{"/dev/stdout:a:time=1:size=1", "/dev/stdout", trapcap.Options{}},
	}
	for _, c := range cases {
		path, opts, err := trapcap.ParseOutputParams(c.params)
		if err != nil || path != c.path || opts.Append != c.opts.Append ||
			opts.RotateMinutes != c.opts.RotateMinutes || opts.RotateSize != c.opts.RotateSize ||
			opts.Unbuffered != c.opts.Unbuffered {
			t.Errorf("%q: %q %+v %v, want %q %+v", c.params, path, opts, err, c.path, c.opts)
		}
	}
	if _, _, err := trapcap.ParseOutputParams(":a"); err == nil {
		t.Error("an empty path was accepted")
	}
}
