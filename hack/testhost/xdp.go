package testhost

import (
	"testing"

	"github.com/vishvananda/netlink"
)

// XDPState returns the XDP state that netlink reports for the end's link: whether a
// program is attached, its id and its attach mode. It fails t when the link cannot
// be read.
func XDPState(t testing.TB, e *End) netlink.LinkXdp {
	t.Helper()
	var xdp netlink.LinkXdp
	err := e.Do(func() error {
		l, err := netlink.LinkByName(e.Link)
		if err == nil && l.Attrs().Xdp != nil {
			xdp = *l.Attrs().Xdp
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return xdp
}
