// Package packet turns captured frames into flow packets: it reads the link
// layer, the IP header and the transport header of each frame and fills a
// flow.Packet for the flow cache. The XDP program in bpf/ must parse the same
// way up to the transport header; the rules below are the contract both follow.
//
// Link layers: Ethernet II, Linux cooked capture v1 and v2 (SLL, SLL2), raw IP
// and BSD null/loopback. Behind Ethernet the parser follows up to 4 VLAN tags
// (0x8100, 0x88a8 and 0x9100, in any order; the outermost VLAN ID of the frame
// becomes Key.VLAN), MPLS label stacks of up to 8 labels, and PPPoE sessions
// carrying IPv4 or IPv6. Behind an MPLS stack the first nibble decides what
// follows: IPv4, IPv6, or, for 0, an Ethernet pseudowire with its control word,
// whose inner Ethernet frame is read like any other. A pseudowire without a
// control word is counted as unsupported. A frame may hold up to 3 Ethernet
// headers (the outer one and those of pseudowires and decapsulated tunnels); one
// with more is unsupported. In the Linux cooked headers, the packet type
// "outgoing" makes Packet.Direction egress.
//
// IP: IPv4 with options, and IPv6 with up to 8 extension headers (hop-by-hop,
// routing, fragment, destination options, AH). AH is skipped only in IPv6: an
// IPv4 packet carrying AH is keyed with protocol 51 and ports 0. Packet.IPBytes is the length the
// IP header claims (IPv4 total length, 40 + IPv6 payload length), even when the
// capture is shorter. A length field of 0 on a frame longer than 64 KiB on the
// wire (Linux BIG TCP, IPv6 jumbograms) is replaced by the length the frame's wire
// length gives. Checksums are not verified.
//
// Transport: TCP, UDP and SCTP ports, TCP flags, and ICMP and ICMPv6 type and
// code as type*256+code in Packet.ICMPTypeCode with ports 0, so an echo request
// and its reply fall into one biflow. The transport header is read only when its
// fixed part (TCP 20, UDP 8, SCTP 12, ICMP 4 bytes) lies within both the capture
// and the IP length; otherwise the packet is still a flow packet, keyed by its
// addresses and protocol with ports 0, and Stats.L4Missing counts it. The IP
// header alone is enough to account its bytes, so dropping it would lose data.
//
// Fragments: the first fragment of a datagram carries its ports, which a bounded
// table remembers (see Options) so that later fragments join the same flow. A
// later fragment whose first fragment is unknown still counts, with ports 0.
//
// Tunnels: with Options.Decapsulate, GRE (over IPv4 or IPv6, with or without key,
// carrying IPv4, IPv6 or Ethernet) and VXLAN (UDP destination port 4789) packets
// are keyed by their inner packet: IPBytes, ports and flags are the inner ones,
// the key's TunnelType and TunnelID name the tunnel (the GRE key or VNI), and
// Packet.Tunnel holds the outer addresses. One tunnel
// level is decapsulated. A tunnel packet whose payload cannot be read, or that is
// an IP fragment, stays the outer flow.
//
// Every frame is either a flow packet (OK) or counted under another Reason;
// nothing in a frame can make the parser panic or read out of bounds.
package packet
