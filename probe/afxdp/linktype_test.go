package afxdp

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/vishvananda/netlink"

	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/capture"
)

// TestTunGivesRawIP captures on a tun device, which has no link layer: the frames
// must come as bare IP packets, labelled so.
func TestTunGivesRawIP(t *testing.T) {
	testhost.RequireRoot(t)
	h := testhost.New(t, testhost.Options{})
	tun := &netlink.Tuntap{
		LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("xt%d", os.Getpid())},
		Mode:      netlink.TUNTAP_MODE_TUN,
		Flags:     netlink.TUNTAP_NO_PI | netlink.TUNTAP_DEFAULTS,
		Queues:    1,
	}
	err := h.Probe.Do(func() error {
		if err := netlink.LinkAdd(tun); err != nil {
			return err
		}
		return netlink.LinkSetUp(tun)
	})
	if err != nil {
		t.Fatalf("create tun device: %v", err)
	}
	defer func() {
		for _, f := range tun.Fds {
			f.Close()
		}
	}()
	s := openSourceIn(t, &h.Probe, Options{Interface: tun.Name})
	if s.LinkType() != capture.LinkRaw {
		t.Fatalf("link type %d on a tun device, want raw IP", s.LinkType())
	}

	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: []byte{198, 18, 9, 1}, DstIP: []byte{198, 18, 9, 2}}
	udp := &layers.UDP{SrcPort: 40000, DstPort: 9000}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	payload := testhost.SeqPayload(7)
	if err := gopacket.SerializeLayers(buf, opts, ip, udp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	packet := buf.Bytes()
	// Writing to the tun file is the device receiving the packet.
	if _, err := tun.Fds[0].Write(packet); err != nil {
		t.Fatal(err)
	}

	cs := testhost.Collectors(1)
	testhost.Collect(t, s, cs, 1, 3*time.Second)
	if cs[0].Count() != 1 {
		t.Fatalf("received %d test packets, want 1", cs[0].Count())
	}
	f := cs[0].Frames[0]
	if !bytes.Equal(f.Data, packet) || f.LinkType != capture.LinkRaw {
		t.Errorf("got link type %d, % x\nwant raw IP % x", f.LinkType, f.Data, packet)
	}
}
