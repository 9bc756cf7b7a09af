package afxdp

import (
	"strings"
	"testing"
	"time"
)

func TestOptionsDefaults(t *testing.T) {
	o, err := Options{Interface: "eth0"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.Frames != DefaultFrames || o.FrameSize != DefaultFrameSize ||
		o.FillRingSize != DefaultFillRingSize || o.RxRingSize != DefaultRxRingSize ||
		o.TickInterval != time.Second || o.Bind != BindAuto || o.BatchWait != DefaultBatchWait {
		t.Errorf("defaults: %+v", o)
	}
	if o.Frames < o.FillRingSize+o.RxRingSize {
		t.Errorf("default frames %d cannot keep the fill ring full while the rx ring is",
			o.Frames)
	}
}

func TestBatchWaitOff(t *testing.T) {
	o, err := Options{Interface: "eth0", BatchWait: -1}.withDefaults()
	if err != nil || o.BatchWait != 0 {
		t.Errorf("negative batch wait gives %v, %v; want 0", o.BatchWait, err)
	}
}

func TestOptionsRejected(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"no interface", Options{}, "no interface"},
		{"frame size not a power of two", Options{FrameSize: 3000}, "frame size"},
		{"frame size too small", Options{FrameSize: 1024}, "frame size"},
		{"umem too large", Options{Frames: 1 << 20}, "frames"},
		{"negative frames", Options{Frames: -1}, "frames"},
		{"fill ring not a power of two", Options{FillRingSize: 1000}, "fill ring"},
		{"rx ring not a power of two", Options{RxRingSize: 3}, "rx ring"},
		{"rx ring too large", Options{RxRingSize: 1 << 21}, "rx ring"},
		{"unknown bind mode", Options{Bind: 7}, "bind mode"},
		{"batch wait too long", Options{BatchWait: time.Second}, "batch wait"},
		{"repeated queue", Options{Queues: []int{0, 1, 0}}, "queues"},
		{"negative queue", Options{Queues: []int{-1}}, "queues"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Interface == "" && tc.want != "no interface" {
				tc.opts.Interface = "eth0"
			}
			_, err := tc.opts.withDefaults()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one about %q", err, tc.want)
			}
		})
	}
}
