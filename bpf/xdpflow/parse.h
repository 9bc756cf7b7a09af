/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The frame parser of the XDP program. It follows the rules of the user-space parser
 * (probe/packet, see its package comment) up to the transport header, so that a flow
 * has the same key whichever path counted it:
 *
 *   - Ethernet, then up to 4 VLAN tags (0x8100, 0x88a8, 0x9100; the outermost ID is
 *     the key's VLAN), PPPoE sessions carrying IPv4 or IPv6, MPLS stacks of up to 8
 *     labels.
 *   - IPv4 with options; IPv6 with up to 8 extension headers (hop-by-hop, routing,
 *     fragment, destination options, AH). The IP bytes are the length the header
 *     claims.
 *   - TCP, UDP, SCTP ports and TCP flags; ICMP and ICMPv6 type and code with ports 0.
 *     The transport header is read only when its fixed part lies within both the
 *     frame and the IP length; otherwise the frame still counts, with ports 0.
 *
 *   - An MPLS Ethernet pseudowire (control word 0 after the labels) carries another
 *     Ethernet header, read the same way, up to 3 Ethernet headers per frame; the
 *     MAC addresses are those of the last one.
 *
 *   - A later IP fragment takes the ports of its datagram's first fragment when that
 *     was seen recently (fragments.h), and counts with ports 0 otherwise.
 *   - Tunnels are not decapsulated: GRE and VXLAN packets count as their outer flow,
 *     as with probe/packet's Options.Decapsulate unset.
 */
#ifndef FLOWPROBE_PARSE_H
#define FLOWPROBE_PARSE_H

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_P_QINQ_OLD 0x9100
#define ETH_P_MPLS 0x8847
#define ETH_P_MPLS_MULTI 0x8848
#define ETH_P_PPPOE 0x8864

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

#define IPPROTO_HOPOPTS 0
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_AH 51
#define IPPROTO_ICMPV6 58
#define IPPROTO_DSTOPTS 60
#define IPPROTO_SCTP 132

#define MAX_VLAN_TAGS 4 /* per Ethernet header */
#define MAX_MPLS_LABELS 8
#define MAX_IPV6_EXT_HEADERS 8

struct ethhdr {
	__u8 dst[6];
	__u8 src[6];
	__be16 proto;
};

struct vlanhdr {
	__be16 tci;
	__be16 proto;
};

struct pppoehdr {
	__u8 ver_type;
	__u8 code;
	__be16 session;
	__be16 length;
	__be16 ppp_proto;
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

struct ipv6_exthdr {
	__u8 nexthdr;
	__u8 hdrlen;
	__be16 frag_off; /* only in a fragment header */
	__be32 id;
};

/* What one parsed frame adds to its flow, besides the key. */
struct packet_info {
	__u32 ip_bytes;
	__u16 icmp_type_code;
	__u8 tcp_flags;
	/* Set when the protocol has a transport header that the frame or the IP length
	 * cut short, or that a too long IPv6 extension header chain hid. */
	__u8 l4_missing;
	/* Set when ports or ICMP type and code were read from a transport header. */
	__u8 l4_read;
};

#include "fragments.h"

static __always_inline int is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD) ||
	       proto == bpf_htons(ETH_P_QINQ_OLD);
}

static __always_inline int is_ipv6_ext(__u8 next)
{
	return next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
	       next == IPPROTO_FRAGMENT || next == IPPROTO_AH || next == IPPROTO_DSTOPTS;
}

/* l4_fits reports whether need bytes of transport header lie both within the frame
 * and within the avail bytes the IP length leaves. */
static __always_inline int l4_fits(void *l4, __u32 need, __u32 avail, void *data_end)
{
	return avail >= need && l4 + need <= data_end;
}

/* parse_l4 reads the transport header at l4, of which avail bytes lie within the IP
 * length. */
static __always_inline void parse_l4(void *l4, __u32 avail, void *data_end,
				     struct flow_key *key, struct packet_info *info)
{
	__u8 *p = l4;

	switch (key->protocol) {
	case IPPROTO_TCP:
		if (!l4_fits(l4, 20, avail, data_end))
			goto missing;
		info->tcp_flags = p[13];
		break;
	case IPPROTO_UDP:
		if (!l4_fits(l4, 8, avail, data_end))
			goto missing;
		break;
	case IPPROTO_SCTP:
		if (!l4_fits(l4, 12, avail, data_end))
			goto missing;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (!l4_fits(l4, 4, avail, data_end))
			goto missing;
		info->icmp_type_code = ((__u16)p[0] << 8) | p[1];
		info->l4_read = 1;
		return;
	default:
		return;
	}
	key->src_port = ((__u16)p[0] << 8) | p[1];
	key->dst_port = ((__u16)p[2] << 8) | p[3];
	info->l4_read = 1;
	return;
missing:
	info->l4_missing = 1;
}

static __always_inline int parse_ipv4(void *l3, void *data_end, struct flow_key *key,
				      struct packet_info *info)
{
	struct iphdr *ip = l3;
	__u32 ihl, total;

	if (l3 + sizeof(*ip) > data_end)
		return CNT_TRUNCATED;
	if ((ip->ver_ihl >> 4) != 4)
		return CNT_BAD_HEADER;
	ihl = (ip->ver_ihl & 0x0f) * 4;
	total = bpf_ntohs(ip->tot_len);
	if (ihl < sizeof(*ip) || total < ihl)
		return CNT_BAD_HEADER;
	if (l3 + ihl > data_end)
		return CNT_TRUNCATED;

	key->ip_version = 4;
	key->protocol = ip->protocol;
	key->src[2] = bpf_htonl(0x0000ffff);
	key->src[3] = ip->saddr;
	key->dst[2] = bpf_htonl(0x0000ffff);
	key->dst[3] = ip->daddr;
	info->ip_bytes = total;

	/* Only the first fragment carries the transport header. */
	if (ip->frag_off & bpf_htons(0x1fff)) {
		attach_later(key, info, bpf_ntohs(ip->id));
		return 0;
	}
	parse_l4(l3 + ihl, total - ihl, data_end, key, info);
	if (ip->frag_off & bpf_htons(0x2000))
		remember_first(key, info, bpf_ntohs(ip->id));
	return 0;
}

static __always_inline int parse_ipv6(void *l3, void *data_end, struct flow_key *key,
				      struct packet_info *info)
{
	struct ipv6hdr *ip = l3;
	__u32 pos = sizeof(*ip), end, frag_id = 0;
	int i, first_frag = 0;
	__u8 next;

	if (l3 + sizeof(*ip) > data_end)
		return CNT_TRUNCATED;
	if ((bpf_ntohl(ip->ver_tc_label) >> 28) != 6)
		return CNT_BAD_HEADER;

	key->ip_version = 6;
	__builtin_memcpy(key->src, ip->saddr, 16);
	__builtin_memcpy(key->dst, ip->daddr, 16);
	end = sizeof(*ip) + bpf_ntohs(ip->payload_len);
	info->ip_bytes = end;
	next = ip->nexthdr;

	for (i = 0; i < MAX_IPV6_EXT_HEADERS; i++) {
		struct ipv6_exthdr *ext = l3 + pos;

		if (!is_ipv6_ext(next))
			break;
		if (pos + 8 > end || (void *)(ext + 1) > data_end)
			goto cut;
		if (next == IPPROTO_FRAGMENT && (ext->frag_off & bpf_htons(0xfff8))) {
			key->protocol = ext->nexthdr;
			attach_later(key, info, bpf_ntohl(ext->id));
			return 0;
		}
		if (next == IPPROTO_FRAGMENT && (ext->frag_off & bpf_htons(1))) {
			first_frag = 1;
			frag_id = bpf_ntohl(ext->id);
		}
		if (next == IPPROTO_FRAGMENT)
			pos += 8;
		else if (next == IPPROTO_AH)
			pos += ((__u32)ext->hdrlen + 2) * 4;
		else
			pos += ((__u32)ext->hdrlen + 1) * 8;
		next = ext->nexthdr;
	}
	if (is_ipv6_ext(next))
		goto cut;

	key->protocol = next;
	parse_l4(l3 + pos, end > pos ? end - pos : 0, data_end, key, info);
	if (first_frag)
		remember_first(key, info, frag_id);
	return 0;

cut:
	/* The walk ended inside the extension headers: the packet counts, without ports. */
	key->protocol = next;
	info->l4_missing = 1;
	return 0;
}

/* Offsets of headers in the frame are masked with OFFSET_MASK: the link-layer headers
 * in front of an IP header take at most 3 * (14 + 4 * 4 + 8 * 4 + 4) = 198 bytes. A
 * mask rather than a comparison bounds an offset for the verifier, because clang
 * compares one copy of a value and adds another, unbounded one to the pointer. */
#define OFFSET_MASK 0xff
#define MAX_ETHERNET_HEADERS 3
_Static_assert(MAX_ETHERNET_HEADERS * (14 + 4 * MAX_VLAN_TAGS + 4 * MAX_MPLS_LABELS + 4) <=
		       OFFSET_MASK, "offset mask too small");

/* parse_ip parses the IP packet of version 4 or 6 at offset l3_off of the frame.
 * It is a global function so that the verifier checks it once, with l3_off as an
 * unknown bounded value, rather than once for every link-layer header combination
 * in front of it. It returns 0 or the counter of the reason the frame was dropped. */
__attribute__((noinline)) int parse_ip(struct xdp_md *ctx, __u32 l3_off, __u32 version,
				       struct flow_key *key, struct packet_info *info)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = l3_off & OFFSET_MASK;

	if (!key || !info)
		return CNT_UNSUPPORTED;
	if (version == 4)
		return parse_ipv4(data + off, data_end, key, info);
	return parse_ipv6(data + off, data_end, key, info);
}

/* What parse_eth found behind one Ethernet header. */
struct l2_result {
	__u32 off;       /* where the next header starts */
	__u32 next;      /* 4 or 6: an IP header at off; 0: another Ethernet header */
	__u32 mac_off;   /* the Ethernet header whose MAC addresses the flow keeps */
	__u32 vlan_seen; /* whether vlan holds the frame's outermost VLAN ID */
	__u32 vlan;
};

/* parse_mpls walks a label stack at *l2 to its bottom; the first nibble behind it
 * says what follows: IPv4, IPv6, or (0) the control word of an Ethernet pseudowire. */
static __always_inline int parse_mpls(void **l2, void *data_end, __u32 *next)
{
	void *p = *l2;
	__u8 *label;
	int i;

	for (i = 0; i < MAX_MPLS_LABELS; i++) {
		label = p;
		if (p + 4 > data_end)
			return CNT_TRUNCATED;
		p += 4;
		if (label[2] & 0x01)
			break;
	}
	if (i == MAX_MPLS_LABELS)
		return CNT_UNSUPPORTED;
	if (p + 1 > data_end)
		return CNT_TRUNCATED;
	*next = *(__u8 *)p >> 4;
	if (*next == 0)
		p += 4; /* the pseudowire control word */
	*l2 = p;
	if (*next != 0 && *next != 4 && *next != 6)
		return CNT_UNSUPPORTED;
	return 0;
}

static __always_inline int parse_pppoe(void **l2, void *data_end, __u32 *next)
{
	struct pppoehdr *ppp = *l2;

	if (*l2 + sizeof(*ppp) > data_end)
		return CNT_TRUNCATED;
	if (ppp->ver_type != 0x11 || ppp->code != 0)
		return CNT_BAD_HEADER;
	*l2 += sizeof(*ppp);
	if (ppp->ppp_proto == bpf_htons(PPP_IPV4))
		*next = 4;
	else if (ppp->ppp_proto == bpf_htons(PPP_IPV6))
		*next = 6;
	else
		return CNT_NOT_IP;
	return 0;
}

/* parse_eth_at reads the Ethernet header at offset off and the VLAN tags, MPLS labels
 * or PPPoE header behind it, and says in r what comes next. It returns 0 or the counter
 * of the reason the frame is no flow packet. */
static __always_inline int parse_eth_at(struct xdp_md *ctx, __u32 off, struct l2_result *r)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data + (off & OFFSET_MASK);
	void *l2 = eth + 1;
	__be16 proto;
	int i, err = 0;

	if (l2 > data_end)
		return CNT_TRUNCATED;
	r->mac_off = off & OFFSET_MASK;
	proto = eth->proto;

	for (i = 0; i < MAX_VLAN_TAGS && is_vlan(proto); i++) {
		struct vlanhdr *vlan = l2;

		if (l2 + sizeof(*vlan) > data_end)
			return CNT_TRUNCATED;
		if (!r->vlan_seen) {
			r->vlan = bpf_ntohs(vlan->tci) & 0x0fff;
			r->vlan_seen = 1;
		}
		proto = vlan->proto;
		l2 += sizeof(*vlan);
	}

	if (proto == bpf_htons(ETH_P_IPV4))
		r->next = 4;
	else if (proto == bpf_htons(ETH_P_IPV6))
		r->next = 6;
	else if (is_vlan(proto))
		return CNT_UNSUPPORTED;
	else if (proto == bpf_htons(ETH_P_MPLS) || proto == bpf_htons(ETH_P_MPLS_MULTI))
		err = parse_mpls(&l2, data_end, &r->next);
	else if (proto == bpf_htons(ETH_P_PPPOE))
		err = parse_pppoe(&l2, data_end, &r->next);
	else
		return CNT_NOT_IP;
	r->off = l2 - data;
	return err;
}

/* parse_eth is parse_eth_at for the Ethernet headers inside MPLS pseudowires. It is a
 * global function for the same reason as parse_ip: the verifier checks it once, not
 * once per nesting level and header combination in front of it. */
__attribute__((noinline)) int parse_eth(struct xdp_md *ctx, __u32 off, struct l2_result *r)
{
	if (!r)
		return CNT_UNSUPPORTED;
	return parse_eth_at(ctx, off, r);
}

/* parse reads the frame up to its transport header into key and info, and points
 * *eth at the Ethernet header whose MAC addresses the flow keeps. It returns 0 when
 * the frame is a flow packet, or the counter of the reason it is not. */
static __always_inline int parse(struct xdp_md *ctx, struct flow_key *key,
				 struct packet_info *info, struct ethhdr **eth)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct l2_result r = {};
	int i, err = 0;

	/* Fast path for the common frames, IP right behind Ethernet or one 802.1Q tag:
	 * parsed inline, without the calls of the general path below. */
	struct ethhdr *outer = data;
	void *l3 = outer + 1;
	__be16 proto;

	if (l3 > data_end)
		return CNT_TRUNCATED;
	proto = outer->proto;
	if (proto == bpf_htons(ETH_P_8021Q) && l3 + sizeof(struct vlanhdr) <= data_end) {
		struct vlanhdr *vlan = l3;

		key->vlan = bpf_ntohs(vlan->tci) & 0x0fff;
		proto = vlan->proto;
		l3 += sizeof(*vlan);
	}
	*eth = outer;
	if (proto == bpf_htons(ETH_P_IPV4))
		return parse_ipv4(l3, data_end, key, info);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(l3, data_end, key, info);
	key->vlan = 0;

	/* The outer Ethernet header is parsed inline; only pseudowire payloads take the
	 * global function. */
	err = parse_eth_at(ctx, 0, &r);
	for (i = 1; !err && r.next == 0 && i < MAX_ETHERNET_HEADERS; i++)
		err = parse_eth(ctx, r.off, &r);
	if (err)
		return err;
	if (r.next == 0)
		return CNT_UNSUPPORTED;
	key->vlan = r.vlan;

	*eth = data + (r.mac_off & OFFSET_MASK);
	if ((void *)(*eth + 1) > data_end)
		return CNT_TRUNCATED;
	return parse_ip(ctx, r.off, r.next, key, info);
}

#endif
