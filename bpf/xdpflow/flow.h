/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The records the XDP program shares with user space. The Go side (types.go) mirrors
 * them byte for byte, and a test checks the sizes against the BTF of the object.
 */
#ifndef FLOWPROBE_FLOW_H
#define FLOWPROBE_FLOW_H

/* The same layout as flow.Key in Go: addresses in 16 bytes (IPv4 as ::ffff:a.b.c.d),
 * ports and VLAN in host byte order, ICMP ports 0. Every byte is written, padding
 * included, because the whole struct is hashed. */
struct flow_key {
	__u32 src[4];
	__u32 dst[4];
	__u16 src_port;
	__u16 dst_port;
	__u16 vlan;
	__u8 protocol;
	__u8 ip_version;
};

/* One flow's counters on one CPU. Times are bpf_ktime_get_ns (CLOCK_MONOTONIC). */
struct flow_counters {
	__u64 packets;
	__u64 bytes;
	__u64 first_ns;
	__u64 last_ns;
	__u8 src_mac[6];
	__u8 dst_mac[6];
	__u16 icmp_type_code;
	__u8 tcp_flags;
	__u8 pad;
};

/* One slot of a CPU's cache of busy flows (flow.c): a flow's packets since it took
 * the slot, kept apart from its table entry until user space merges the two. */
struct flow_slot {
	struct flow_key key;
	struct flow_counters counters;
};

/* One frame that found its table full, sent through the ring buffer. */
struct packet_event {
	struct flow_key key;
	__u64 time_ns;
	__u32 ip_bytes;
	__u8 tcp_flags;
	__u8 pad;
	__u16 icmp_type_code;
	__u8 src_mac[6];
	__u8 dst_mac[6];
	__u32 pad2;
};

/* Indexes of the per-CPU counters array. The unparsed reasons are those of the
 * user-space parser (probe/packet.Reason). */
enum counter {
	CNT_TABLE_FULL = 0, /* frames sent to the ring buffer because the table was full */
	CNT_RING_LOST,      /* frames lost: table full and ring buffer full */
	CNT_NOT_IP,         /* unparsed: no IP packet (ARP, LLC, PPP control, ...) */
	CNT_TRUNCATED,      /* unparsed: frame ends inside a header before the IP one ends */
	CNT_BAD_HEADER,     /* unparsed: wrong IP version or IPv4 lengths, bad PPPoE header */
	CNT_UNSUPPORTED,    /* unparsed: too many VLAN tags or MPLS labels, MPLS pseudowire */
	CNT_L4_MISSING,     /* counted in a flow, but with its transport header missing */
	CNT_REDIRECTED,     /* handed to the AF_XDP socket of the frame's RX queue */
	CNT_NO_SOCKET,      /* meant for a socket, but its queue had none: counted here */
	CNT_MAX,
};

#endif
