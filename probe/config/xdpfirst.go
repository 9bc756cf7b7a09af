package config

import (
	"fmt"
	"strconv"

	"github.com/flowprobe/flowprobe/bpf/xdpflow"
)

// ParseXDPFirstPackets reads the value of --xdp-first-packets and of the key
// input.xdp_first_packets: a number of packets (0 for none) or "all", returned as the
// XDP program's RedirectFirst setting.
func ParseXDPFirstPackets(v string) (uint32, error) {
	if v == "all" {
		return xdpflow.RedirectAll, nil
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || uint32(n) == xdpflow.RedirectAll {
		return 0, fmt.Errorf("want a number of packets below %d or \"all\", not %q",
			xdpflow.RedirectAll, v)
	}
	return uint32(n), nil
}
