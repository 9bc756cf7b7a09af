// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//go:build ignore

/*
 * flowprobe's XDP fast path: parse each frame up to L4, add it to this CPU's flow
 * table, and let the frame pass (or drop it when the port is a pure sensor port).
 *
 * Every frame ends in exactly one place: a flow table entry, a ring buffer event
 * (table full), the "ring lost" counter (table and ring buffer full), or one of the
 * "unparsed" counters. User space relies on that sum to prove nothing was lost.
 *
 * Built twice by bpf2go: with FLOW_PERCPU_HASH the table is one BPF_MAP_TYPE_PERCPU_HASH
 * (keys shared by all CPUs, values per CPU); without it every CPU owns a plain
 * BPF_MAP_TYPE_HASH found in slot cpu of the outer array. Either way the tables sit in
 * an array of maps so that user space can swap in empty tables and read the old ones
 * while no program writes to them.
 */

#include "kernel_types.h"
#include "bpf_helpers.h"
#include "bpf_endian.h"

#include "flow.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_P_QINQ1 0x9100

#define IPPROTO_HOPOPTS 0
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_AH 51
#define IPPROTO_ICMPV6 58
#define IPPROTO_DSTOPTS 60
#define IPPROTO_MH 135
#define IPPROTO_SCTP 132

/* The same bounds as the user-space parser: at most this many VLAN tags and IPv6
 * extension headers are skipped; a longer chain counts as unparsed. */
#define MAX_VLAN_TAGS 3
#define MAX_IPV6_EXT_HEADERS 8

/* Set by user space before loading: 1 drops every frame after counting it. */
const volatile __u8 cfg_drop = 0;

/* Clang 14 describes the key and value of an inner map only as forward declarations,
 * which the loader cannot size. These unused globals put the full structs into BTF. */
struct flow_key btf_flow_key;
struct flow_counters btf_flow_counters;
struct packet_event btf_packet_event;

/* Slot cpu (per-CPU hash layout) or slot 0 (per-CPU values layout) holds the table in
 * use; user space sizes the outer array and fills it before attaching. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct {
#ifdef FLOW_PERCPU_HASH
		__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
#else
		__uint(type, BPF_MAP_TYPE_HASH);
#endif
		__uint(max_entries, 65536);
		__type(key, struct flow_key);
		__type(value, struct flow_counters);
	});
} tables SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} overflow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct ethhdr {
	__u8 dst[6];
	__u8 src[6];
	__be16 proto;
};

struct vlanhdr {
	__be16 tci;
	__be16 proto;
};

struct iphdr {
	__u8 ver_ihl;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__be16 check;
	__be32 saddr;
	__be32 daddr;
};

struct ipv6hdr {
	__be32 ver_tc_label;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__be32 saddr[4];
	__be32 daddr[4];
};

struct ipv6_opthdr {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct ipv6_fraghdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 id;
};

/* What one parsed frame adds to its flow, besides the key. */
struct packet_info {
	__u32 ip_bytes;
	__u16 icmp_type_code;
	__u8 tcp_flags;
	/* l4 is 0 when the frame carries no L4 header to read: a non-first fragment,
	 * ESP, or a protocol without ports. */
	__u8 l4;
};

static __always_inline void count(__u32 index)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &index);

	if (c)
		*c += 1;
}

/* parse_l4 reads ports, TCP flags or the ICMP type and code at l4. It returns 0 or the
 * counter of the reason the header could not be read. */
static __always_inline int parse_l4(void *l4, void *data_end, struct flow_key *key,
				    struct packet_info *info)
{
	__u8 *p = l4;

	switch (key->protocol) {
	case IPPROTO_TCP:
		if (l4 + 20 > data_end)
			return CNT_SHORT_L4;
		info->tcp_flags = p[13];
		break;
	case IPPROTO_UDP:
		if (l4 + 8 > data_end)
			return CNT_SHORT_L4;
		break;
	case IPPROTO_SCTP:
		if (l4 + 12 > data_end)
			return CNT_SHORT_L4;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (l4 + 4 > data_end)
			return CNT_SHORT_L4;
		info->icmp_type_code = ((__u16)p[0] << 8) | p[1];
		return 0;
	default:
		return 0;
	}

	key->src_port = ((__u16)p[0] << 8) | p[1];
	key->dst_port = ((__u16)p[2] << 8) | p[3];
	return 0;
}

static __always_inline int parse_ipv4(void *l3, void *data_end, struct flow_key *key,
				      struct packet_info *info, void **l4)
{
	struct iphdr *ip = l3;
	__u32 ihl;

	if (l3 + sizeof(*ip) > data_end)
		return CNT_SHORT_L3;
	if ((ip->ver_ihl >> 4) != 4)
		return CNT_BAD_L3;
	ihl = (ip->ver_ihl & 0x0f) * 4;
	if (ihl < sizeof(*ip))
		return CNT_BAD_L3;
	if (l3 + ihl > data_end)
		return CNT_SHORT_L3;

	key->ip_version = 4;
	key->protocol = ip->protocol;
	key->src[2] = bpf_htonl(0x0000ffff);
	key->src[3] = ip->saddr;
	key->dst[2] = bpf_htonl(0x0000ffff);
	key->dst[3] = ip->daddr;
	info->ip_bytes = bpf_ntohs(ip->tot_len);

	/* Only the first fragment carries the L4 header; later ones get ports 0. */
	if (ip->frag_off & bpf_htons(0x1fff))
		return 0;
	info->l4 = 1;
	*l4 = l3 + ihl;
	return 0;
}

static __always_inline int parse_ipv6(void *l3, void *data_end, struct flow_key *key,
				      struct packet_info *info, void **l4)
{
	struct ipv6hdr *ip = l3;
	void *next = l3 + sizeof(*ip);
	__u8 proto;
	int i;

	if (next > data_end)
		return CNT_SHORT_L3;
	if ((bpf_ntohl(ip->ver_tc_label) >> 28) != 6)
		return CNT_BAD_L3;

	key->ip_version = 6;
	__builtin_memcpy(key->src, ip->saddr, 16);
	__builtin_memcpy(key->dst, ip->daddr, 16);
	info->ip_bytes = 40 + bpf_ntohs(ip->payload_len);
	proto = ip->nexthdr;

	for (i = 0; i < MAX_IPV6_EXT_HEADERS; i++) {
		struct ipv6_opthdr *opt = next;
		struct ipv6_fraghdr *frag = next;

		switch (proto) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_MH:
			if (next + sizeof(*opt) > data_end)
				return CNT_SHORT_L3;
			proto = opt->nexthdr;
			next += ((__u32)opt->hdrlen + 1) * 8;
			continue;
		case IPPROTO_AH:
			if (next + sizeof(*opt) > data_end)
				return CNT_SHORT_L3;
			proto = opt->nexthdr;
			next += ((__u32)opt->hdrlen + 2) * 4;
			continue;
		case IPPROTO_FRAGMENT:
			if (next + sizeof(*frag) > data_end)
				return CNT_SHORT_L3;
			proto = frag->nexthdr;
			next += sizeof(*frag);
			if (frag->frag_off & bpf_htons(0xfff8)) {
				key->protocol = proto;
				return 0;
			}
			continue;
		}
		key->protocol = proto;
		info->l4 = 1;
		*l4 = next;
		return 0;
	}
	return CNT_IPV6_EXT_LIMIT;
}

/* parse fills key and info from the frame; it returns 0 or the counter of the reason
 * the frame was not parsed. */
static __always_inline int parse(struct xdp_md *ctx, struct flow_key *key,
				 struct packet_info *info, struct ethhdr **eth_out)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3 = data + sizeof(*eth);
	void *l4 = 0;
	__u16 proto;
	int i, err;

	if (l3 > data_end)
		return CNT_SHORT_L2;
	*eth_out = eth;
	proto = eth->proto;

	for (i = 0; i < MAX_VLAN_TAGS; i++) {
		struct vlanhdr *vlan = l3;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD) &&
		    proto != bpf_htons(ETH_P_QINQ1))
			break;
		if (l3 + sizeof(*vlan) > data_end)
			return CNT_SHORT_L2;
		if (i == 0)
			key->vlan = bpf_ntohs(vlan->tci) & 0x0fff;
		proto = vlan->proto;
		l3 += sizeof(*vlan);
	}

	if (proto == bpf_htons(ETH_P_IPV4))
		err = parse_ipv4(l3, data_end, key, info, &l4);
	else if (proto == bpf_htons(ETH_P_IPV6))
		err = parse_ipv6(l3, data_end, key, info, &l4);
	else if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD) ||
		 proto == bpf_htons(ETH_P_QINQ1))
		return CNT_VLAN_LIMIT;
	else
		return CNT_NOT_IP;
	if (err)
		return err;
	if (!info->l4 || !l4)
		return 0;
	return parse_l4(l4, data_end, key, info);
}

static __always_inline void *current_table(void)
{
#ifdef FLOW_PERCPU_HASH
	__u32 slot = 0;
#else
	__u32 slot = bpf_get_smp_processor_id();
#endif

	return bpf_map_lookup_elem(&tables, &slot);
}

static __always_inline void to_ring(struct flow_key *key, struct packet_info *info,
				    struct ethhdr *eth, __u64 now)
{
	struct packet_event *ev = bpf_ringbuf_reserve(&overflow, sizeof(*ev), 0);

	if (!ev) {
		count(CNT_RING_LOST);
		return;
	}
	ev->key = *key;
	ev->time_ns = now;
	ev->ip_bytes = info->ip_bytes;
	ev->tcp_flags = info->tcp_flags;
	ev->pad = 0;
	ev->icmp_type_code = info->icmp_type_code;
	__builtin_memcpy(ev->src_mac, eth->src, 6);
	__builtin_memcpy(ev->dst_mac, eth->dst, 6);
	bpf_ringbuf_submit(ev, 0);
	count(CNT_TABLE_FULL);
}

static __always_inline void account(struct flow_key *key, struct packet_info *info,
				    struct ethhdr *eth)
{
	__u64 now = bpf_ktime_get_ns();
	void *table = current_table();
	struct flow_counters *c;
	struct flow_counters fresh = {};

	if (!table) {
		to_ring(key, info, eth, now);
		return;
	}

	c = bpf_map_lookup_elem(table, key);
	if (c) {
		/* In the per-CPU values layout another CPU may have created the key; this
		 * CPU's slot then starts at zero and its first packet sets the start. */
		if (c->packets == 0) {
			c->first_ns = now;
			c->icmp_type_code = info->icmp_type_code;
			__builtin_memcpy(c->src_mac, eth->src, 6);
			__builtin_memcpy(c->dst_mac, eth->dst, 6);
		}
		c->packets += 1;
		c->bytes += info->ip_bytes;
		c->last_ns = now;
		c->tcp_flags |= info->tcp_flags;
		return;
	}

	fresh.packets = 1;
	fresh.bytes = info->ip_bytes;
	fresh.first_ns = now;
	fresh.last_ns = now;
	fresh.tcp_flags = info->tcp_flags;
	fresh.icmp_type_code = info->icmp_type_code;
	__builtin_memcpy(fresh.src_mac, eth->src, 6);
	__builtin_memcpy(fresh.dst_mac, eth->dst, 6);
	if (bpf_map_update_elem(table, key, &fresh, BPF_NOEXIST) == 0)
		return;
	to_ring(key, info, eth, now);
}

SEC("xdp")
int flowprobe_xdp(struct xdp_md *ctx)
{
	struct flow_key key = {};
	struct packet_info info = {};
	struct ethhdr *eth = 0;
	int err;

	err = parse(ctx, &key, &info, &eth);
	if (err)
		count(err);
	else if (eth)
		account(&key, &info, eth);

	return cfg_drop ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
