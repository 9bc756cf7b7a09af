package afpacket

import (
	"strings"
	"testing"
	"time"
)

func TestOptionsDefaultsAndChecks(t *testing.T) {
	o, err := Options{Interface: "eth0"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.Workers != 1 || o.BlockSize != DefaultBlockSize || o.Blocks != DefaultBlocks ||
		o.BlockTimeout != DefaultBlockTimeout || o.TickInterval != time.Second {
		t.Errorf("defaults %+v", o)
	}
	long := Options{Interface: "x", TickInterval: time.Minute}
	if o, _ := long.withDefaults(); o.TickInterval != time.Second {
		t.Errorf("tick interval %v not cut to one second", o.TickInterval)
	}

	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"no interface", Options{}, "no interface"},
		{"negative workers", Options{Interface: "x", Workers: -1}, "workers"},
		{"more workers than a fanout group takes", Options{Interface: "x", Workers: 257},
			"workers"},
		{"block below a page", Options{Interface: "x", BlockSize: 1024}, "block size"},
		{"block not page aligned", Options{Interface: "x", BlockSize: 6000}, "block size"},
		{"negative blocks", Options{Interface: "x", Blocks: -3}, "blocks"},
		{"huge ring", Options{Interface: "x", BlockSize: 1 << 30, Blocks: 4}, "2 GiB"},
		{"sub-millisecond timeout", Options{Interface: "x", BlockTimeout: time.Microsecond},
			"block timeout"},
		{"negative snaplen", Options{Interface: "x", Snaplen: -5}, "snaplen"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.opts.withDefaults(); err == nil ||
				!strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}
