/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Ports for later IP fragments, as probe/packet gives them: a first fragment that
 * yields transport fields leaves them in a small table under its datagram's identity
 * (addresses, IP identification, protocol, VLAN), and a later fragment of the same
 * datagram takes them when the first one was seen no more than cfg_frag_timeout_ns
 * ago. Otherwise a later fragment keeps ports 0. The table is an LRU map, which is
 * fine here: losing an entry only loses ports, never a packet's count.
 */
#ifndef FLOWPROBE_FRAGMENTS_H
#define FLOWPROBE_FRAGMENTS_H

struct frag_key {
	__u32 src[4];
	__u32 dst[4];
	__u32 id;
	__u16 vlan;
	__u8 protocol;
	__u8 pad;
};

struct frag_fields {
	__u64 seen_ns;
	__u16 src_port;
	__u16 dst_port;
	__u16 icmp_type_code;
	__u16 pad;
};

/* Set by user space before loading: how long a first fragment's ports stay usable. */
const volatile __u64 cfg_frag_timeout_ns = 30000000000ULL;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct frag_key);
	__type(value, struct frag_fields);
} fragments SEC(".maps");

static __always_inline void frag_key_of(struct frag_key *fk, struct flow_key *key, __u32 id)
{
	__builtin_memcpy(fk->src, key->src, 16);
	__builtin_memcpy(fk->dst, key->dst, 16);
	fk->id = id;
	fk->vlan = key->vlan;
	fk->protocol = key->protocol;
	fk->pad = 0;
}

/* remember_first stores the transport fields of a first fragment, when it has some. */
static __always_inline void remember_first(struct flow_key *key, struct packet_info *info,
					   __u32 id)
{
	struct frag_key fk;
	struct frag_fields ff = {};

	if (!info->l4_read)
		return;
	frag_key_of(&fk, key, id);
	ff.seen_ns = bpf_ktime_get_ns();
	ff.src_port = key->src_port;
	ff.dst_port = key->dst_port;
	ff.icmp_type_code = info->icmp_type_code;
	bpf_map_update_elem(&fragments, &fk, &ff, BPF_ANY);
}

/* attach_later gives a later fragment the fields its first fragment left. */
static __always_inline void attach_later(struct flow_key *key, struct packet_info *info,
					 __u32 id)
{
	struct frag_key fk;
	struct frag_fields *ff;
	__s64 age;

	frag_key_of(&fk, key, id);
	ff = bpf_map_lookup_elem(&fragments, &fk);
	if (!ff)
		return;
	age = (__s64)(bpf_ktime_get_ns() - ff->seen_ns);
	if (age > (__s64)cfg_frag_timeout_ns || age < -(__s64)cfg_frag_timeout_ns)
		return;
	key->src_port = ff->src_port;
	key->dst_port = ff->dst_port;
	info->icmp_type_code = ff->icmp_type_code;
}

#endif
