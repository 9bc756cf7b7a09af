// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//go:build ignore

/*
 * flowprobe's XDP fast path: parse each frame up to L4, add it to this CPU's flow
 * table, and let the frame pass (or drop it when the port is a pure sensor port).
 *
 * Every frame ends in exactly one place: a flow table entry, an AF_XDP socket (the
 * "redirected" counter), a ring buffer event (table full), the "ring lost" counter
 * (table and ring buffer full), or one of the unparsed counters. User space relies on
 * that sum to prove nothing was lost.
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
#include "parse.h"

/* Set by user space before loading: 1 drops every frame after counting it. */
const volatile __u8 cfg_drop = 0;

/* Set by user space before loading: 1 reads the precise clock for every packet. By
 * default only a flow's first packet does; later packets take the coarse clock as
 * coarse_now gives it, which costs far less but lags by up to two kernel ticks (rarely
 * more than one; a tick is 1 to 10 ms), so a flow's last time may come out that much
 * early. */
const volatile __u8 cfg_precise_time = 0;

/* Set by user space before loading: how many packets of each flow (each direction)
 * go whole to the AF_XDP socket of their RX queue instead of into the tables. 0 sends
 * none, REDIRECT_ALL every frame, parsed or not. */
const volatile __u32 cfg_redirect_first = 0;

#define REDIRECT_ALL 0xffffffff

/* Clang 14 describes the key and value of an inner map only as forward declarations,
 * which the loader cannot size. These unused globals put the full structs into BTF. */
struct flow_key btf_flow_key;
struct flow_counters btf_flow_counters;
struct packet_event btf_packet_event;
struct flow_slot btf_flow_slot;

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

/* Slots per CPU in the cache of busy flows, a power of two. User space sizes the
 * array to this many slots for every possible CPU. */
#define CACHE_BITS 11
#define CACHE_SLOTS (1 << CACHE_BITS)

/* The cache of busy flows of the current table set, in slot 0; user space swaps it
 * with the tables. CPU n owns slots n * CACHE_SLOTS to (n + 1) * CACHE_SLOTS - 1. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_ARRAY);
		__uint(max_entries, CACHE_SLOTS);
		__type(key, __u32);
		__type(value, struct flow_slot);
	});
} caches SEC(".maps");

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

/* AF_XDP sockets by RX queue, stored by user space. A queue beyond the map or without
 * a socket makes the redirect fail, and the frame is counted here instead. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

/* How many packets of a flow have gone to a socket. It lives outside the flow tables so
 * that it survives their swaps: a flow's first packets go to user space once, not once
 * per drain interval. An LRU map is safe here: forgetting a flow only sends it to user
 * space again for up to cfg_redirect_first packets, and every packet is still counted
 * in exactly one place. User space sizes it; one entry when nothing is redirected. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow_key);
	__type(value, __u32);
} redirected SEC(".maps");

/* The coarse clock as this CPU last read it, and the jiffies it was read at. */
struct clock_reading {
	__u64 jiffies;
	__u64 ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clock_reading);
} clock SEC(".maps");

/* coarse_now returns the coarse clock, read at most once per CPU and jiffy. Reading
 * it through bpf_ktime_get_coarse_ns for every packet cost 10 to 15 ns per packet on
 * the benchmark mix; jiffies and this CPU's cached reading cost a few. The coarse clock
 * moves when the tick updates the time, which is when jiffies move; but the kernel
 * raises jiffies just before it updates the time, so a CPU that reads in between keeps
 * the previous tick's time until jiffies move again: a second tick of lag, rarely. */
static __always_inline __u64 coarse_now(void)
{
	__u32 zero = 0;
	struct clock_reading *r = bpf_map_lookup_elem(&clock, &zero);
	__u64 j = bpf_jiffies64();

	if (!r)
		return bpf_ktime_get_coarse_ns();
	if (r->jiffies != j) {
		r->jiffies = j;
		r->ns = bpf_ktime_get_coarse_ns();
	}
	return r->ns;
}

static __always_inline void count(__u32 index)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &index);

	if (c)
		*c += 1;
}

/* redirect hands the frame to the socket of its RX queue and reports whether a socket
 * took it. bpf_redirect_map only looks the socket up; a frame the socket cannot take
 * afterwards (RX ring full, no free UMEM frame) is dropped by the kernel and counted in
 * the socket's statistics (XDP_STATISTICS), which user space reports. */
static __always_inline int redirect(struct xdp_md *ctx)
{
	if (bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS) == XDP_REDIRECT) {
		count(CNT_REDIRECTED);
		return 1;
	}
	count(CNT_NO_SOCKET);
	return 0;
}

/* redirect_first redirects the frame when its flow has sent fewer than
 * cfg_redirect_first packets to user space. Two CPUs racing on a new flow may each
 * send one packet too many; that costs user space a packet, not a count. */
static __always_inline int redirect_first(struct xdp_md *ctx, struct flow_key *key)
{
	__u32 *sent = bpf_map_lookup_elem(&redirected, key);
	__u32 one = 1;

	if (sent && *sent >= cfg_redirect_first)
		return 0;
	if (!redirect(ctx))
		return 0;
	if (sent)
		__sync_fetch_and_add(sent, 1);
	else
		bpf_map_update_elem(&redirected, key, &one, BPF_ANY);
	return 1;
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

/* cache_slot returns the slot of this CPU's cache of busy flows that key maps to. */
static __always_inline struct flow_slot *cache_slot(struct flow_key *key)
{
	const __u64 mul = 0x9e3779b97f4a7c15ULL;
	__u64 *k = (__u64 *)key;
	__u32 zero = 0, index;
	void *cache = bpf_map_lookup_elem(&caches, &zero);
	__u64 h;

	if (!cache)
		return 0;
	h = (((((k[0] * mul) ^ k[1]) * mul ^ k[2]) * mul ^ k[3]) * mul ^ k[4]) * mul;
	index = bpf_get_smp_processor_id() * CACHE_SLOTS + (__u32)(h >> (64 - CACHE_BITS));
	return bpf_map_lookup_elem(cache, &index);
}

static __always_inline int same_key(struct flow_key *a, struct flow_key *b)
{
	__u64 *x = (__u64 *)a, *y = (__u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3] && x[4] == y[4];
}

/* add_packet adds a later packet of a flow to its counters c. */
static __always_inline void add_packet(struct flow_counters *c, struct packet_info *info)
{
	__u64 now;

	if (cfg_precise_time) {
		now = bpf_ktime_get_ns();
	} else {
		now = coarse_now();
		if (now < c->first_ns)
			now = c->first_ns;
	}
	c->packets += 1;
	c->bytes += info->ip_bytes;
	c->last_ns = now;
	c->tcp_flags |= info->tcp_flags;
}

/* start_part makes the packet the first of c, a part of a flow that has an earlier part
 * elsewhere, so a coarse reading is precise enough for its start. */
static __always_inline void start_part(struct flow_counters *c, struct packet_info *info,
				       struct ethhdr *eth)
{
	__u64 now = cfg_precise_time ? bpf_ktime_get_ns() : coarse_now();

	c->first_ns = now;
	c->last_ns = now;
	c->icmp_type_code = info->icmp_type_code;
	__builtin_memcpy(c->src_mac, eth->src, 6);
	__builtin_memcpy(c->dst_mac, eth->dst, 6);
	c->packets = 1;
	c->bytes = info->ip_bytes;
	c->tcp_flags = info->tcp_flags;
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

/* redirecting_first tells whether only the first packets of each flow are redirected;
 * the verifier removes what depends on it when it is false. */
static __always_inline int redirecting_first(void)
{
	return cfg_redirect_first != 0 && cfg_redirect_first != REDIRECT_ALL;
}

/* account_first counts a flow's first packet on this CPU in the current table: into
 * the entry c another CPU created (per-CPU values layout), or into a new entry. It
 * returns 1 when the packet went to a socket instead. */
static __always_inline int account_first(struct xdp_md *ctx, void *table,
					 struct flow_counters *c, struct flow_key *key,
					 struct packet_info *info, struct ethhdr *eth)
{
	struct flow_counters fresh = {};
	__u64 now;

	if (redirecting_first() && redirect_first(ctx, key))
		return 1;
	now = bpf_ktime_get_ns();
	if (c) {
		c->first_ns = now;
		c->last_ns = now;
		c->icmp_type_code = info->icmp_type_code;
		__builtin_memcpy(c->src_mac, eth->src, 6);
		__builtin_memcpy(c->dst_mac, eth->dst, 6);
		c->packets = 1;
		c->bytes = info->ip_bytes;
		c->tcp_flags = info->tcp_flags;
		return 0;
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
		return 0;
	to_ring(key, info, eth, now);
	return 0;
}

/* account adds the packet to its CPU's flow table, or hands it to a socket when its
 * flow has not sent its first packets yet, and returns 1 then. A flow with packets in
 * this CPU's current table has already sent them (or found no socket), so only a
 * flow's first packet on a CPU in each drain interval pays for the redirect count
 * lookup, and every later one costs what it costs without redirects. A flow whose
 * redirect found no socket is thus counted here for the rest of the interval.
 *
 * A hash table lookup costs about 30 ns here, half of the program, so a CPU keeps its
 * busy flows in a direct-mapped cache as well, found by a cheap hash of the key: the
 * second packet of a flow in its table claims the flow's cache slot when the slot is
 * free, and from the third on the flow's packets go to the slot, a second part of the
 * flow that user space merges with the table entry when it drains both. A slot is never
 * taken from the flow that claimed it until the drain empties the cache, so a flow that
 * finds its slot taken pays both lookups for the whole interval; the cache holds the
 * first flows, not the busiest, and helps most where few flows carry most packets. */
static __always_inline int account(struct xdp_md *ctx, struct flow_key *key,
				   struct packet_info *info, struct ethhdr *eth)
{
	struct flow_slot *slot = cache_slot(key);
	void *table;
	struct flow_counters *c;

	if (__builtin_expect(slot && same_key(&slot->key, key), 1)) {
		if (__builtin_expect(slot->counters.packets != 0, 1))
			add_packet(&slot->counters, info);
		else
			start_part(&slot->counters, info, eth);
		return 0;
	}

	table = current_table();
	if (__builtin_expect(!table, 0)) {
		if (redirecting_first() && redirect_first(ctx, key))
			return 1;
		to_ring(key, info, eth, bpf_ktime_get_ns());
		return 0;
	}

	c = bpf_map_lookup_elem(table, key);
	/* In the per-CPU values layout another CPU may have created the key; this CPU's
	 * slot then starts at zero and its first packet sets the start. */
	if (__builtin_expect(c && c->packets != 0, 1)) {
		add_packet(c, info);
		if (slot && slot->counters.packets == 0)
			slot->key = *key;
		return 0;
	}
	return account_first(ctx, table, c, key, info, eth);
}

SEC("xdp")
int flowprobe_xdp(struct xdp_md *ctx)
{
	struct flow_key key = {};
	struct packet_info info = {};
	struct ethhdr *eth = 0;
	int err;

	if (cfg_redirect_first == REDIRECT_ALL && redirect(ctx))
		return XDP_REDIRECT;

	err = parse(ctx, &key, &info, &eth);
	if (err) {
		count(err);
	} else if (eth) {
		if (account(ctx, &key, &info, eth))
			return XDP_REDIRECT;
		if (info.l4_missing)
			count(CNT_L4_MISSING);
	}

	return cfg_drop ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
