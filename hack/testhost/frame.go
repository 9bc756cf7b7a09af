package testhost

import (
	"fmt"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// UDP4Frame builds an Ethernet frame carrying an IPv4 UDP datagram from one end's
// address and MAC to the other's, with valid lengths and checksums, so the receiving
// kernel accepts it like real traffic. A non-zero vlan adds an 802.1Q tag with that ID.
func UDP4Frame(from, to *End, srcPort, dstPort, vlan uint16, payload []byte) ([]byte, error) {
	eth := &layers.Ethernet{
		SrcMAC:       from.MAC,
		DstMAC:       to.MAC,
		EthernetType: layers.EthernetTypeIPv4,
	}
	ip := &layers.IPv4{
		Version:  4,
		TTL:      64,
		Protocol: layers.IPProtocolUDP,
		SrcIP:    from.Addr.Addr().AsSlice(),
		DstIP:    to.Addr.Addr().AsSlice(),
	}
	udp := &layers.UDP{SrcPort: layers.UDPPort(srcPort), DstPort: layers.UDPPort(dstPort)}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		return nil, fmt.Errorf("build udp frame: %w", err)
	}

	stack := []gopacket.SerializableLayer{eth}
	if vlan != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		stack = append(stack, &layers.Dot1Q{
			VLANIdentifier: vlan,
			Type:           layers.EthernetTypeIPv4,
		})
	}
	stack = append(stack, ip, udp, gopacket.Payload(payload))

	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, stack...); err != nil {
		return nil, fmt.Errorf("build udp frame: %w", err)
	}
	return buf.Bytes(), nil
}
