#!/usr/bin/env bash
# Shows flowprobe at work on a bundled sample trace. `make demo` builds bin/flowprobe
# first; run on its own, the script builds it when it is missing.
#
# As root it runs live: it builds a test host (two network namespaces joined by a veth
# pair, addresses from 198.18.0.0/15), starts flowprobe in XDP mode on the probe end
# (AF_PACKET if the kernel refuses XDP) with metrics on 127.0.0.1:9464 in that namespace,
# replays the trace into the peer end with tcpreplay (installed from Debian when
# missing), stops flowprobe with SIGTERM and prints the largest flows and a few
# counters. The namespaces are removed however the script ends.
# Without root, or with DEMO_OFFLINE=1, flowprobe reads the trace file directly.
#
# Usage: hack/demo.sh [TRACE]   (default: testdata/pcap/gopacket-cip.pcap)
# FLOWPROBE=PATH runs that binary instead of bin/flowprobe.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${FLOWPROBE:-bin/flowprobe}
if [ ! -x "$bin" ]; then
	mkdir -p bin
	go build -ldflags "-X main.version=$(cat VERSION)" -o "$bin" ./probe/cmd/flowprobe
fi
trace=${1:-testdata/pcap/gopacket-cip.pcap}
top=10
work=$(mktemp -d)
probe_pid=
metrics=(--metrics 127.0.0.1:9464)
ns_probe="fpdemo$$-probe"
ns_peer="fpdemo$$-peer"

cleanup() {
	if [ -n "$probe_pid" ] && kill -0 "$probe_pid" 2>/dev/null; then
		kill -KILL "$probe_pid" 2>/dev/null || true
	fi
	ip netns del "$ns_probe" 2>/dev/null || true
	ip netns del "$ns_peer" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# top_flows prints the largest flows of a flowprobe CSV file by bytes in both
# directions, and how many flows, packets and bytes the file holds.
top_flows() {
	awk -F, -v top="$top" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		{
			pk = $col["PACKETS"] + $col["PACKETS_REV"]
			by = $col["BYTES"] + $col["BYTES_REV"]
			flows++; packets += pk; bytes += by
			printf "%d\t%s:%s\t%s:%s\t%s\t%d\t%d\t%s\n", by,
				$col["SRC_IP"], $col["SRC_PORT"], $col["DST_IP"], $col["DST_PORT"],
				$col["PROTOCOL"], pk, by, $col["END_REASON"] | "sort -rn | head -n " top
		}
		END {
			close("sort -rn | head -n " top)
			printf "%d flows, %d packets, %d bytes (IP)\n", flows, packets, bytes \
				> "/dev/stderr"
		}' "$1" 2>"$work/totals" |
		awk -F'\t' 'BEGIN { printf "%-26s %-26s %5s %8s %10s  %s\n", "SOURCE",
			"DESTINATION", "PROTO", "PACKETS", "BYTES", "END" }
			{ printf "%-26s %-26s %5s %8s %10s  %s\n", $2, $3, $4, $5, $6, $7 }'
	cat "$work/totals"
}

offline() {
	echo "== $("$bin" --version): flows of $trace (read from the file)"
	echo
	"$bin" -r "$trace" -o csv:"$work/flows.csv" -v 2>"$work/log"
	echo "-- the $top largest flows"
	top_flows "$work/flows.csv"
	echo
	echo "-- run summary (-v logs it)"
	grep -E '"message":"(finished|output)"' "$work/log"
}

# need_tcpreplay installs tcpreplay from Debian when it is missing.
need_tcpreplay() {
	command -v tcpreplay >/dev/null && return 0
	echo "demo: installing tcpreplay from Debian" >&2
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends tcpreplay; } \
		>"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; return 1; }
}

# scrape prints flowprobe's metrics, read over HTTP inside the probe's namespace.
scrape() {
	ip netns exec "$ns_probe" bash -c '
		exec 3<>/dev/tcp/127.0.0.1/9464 || exit 1
		printf "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
		cat <&3' | tr -d '\r' | sed '1,/^$/d'
}

# start_probe starts flowprobe on the probe end in the given capture mode and waits
# for it to log that it started; it fails when flowprobe exits first.
start_probe() {
	ip netns exec "$ns_probe" "$bin" -I "$1" --mode "$2" "${metrics[@]}" \
		-o csv:"$work/flows.csv" -v 2>"$work/log" &
	probe_pid=$!
	for _ in $(seq 100); do
		grep -q '"message":"started"' "$work/log" && return 0
		kill -0 "$probe_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$probe_pid" 2>/dev/null || true
	wait "$probe_pid" 2>/dev/null || true
	probe_pid=
	return 1
}

live() {
	local link_probe="fpd$$p" link_peer="fpd$$q"
	ip netns add "$ns_probe"
	ip netns add "$ns_peer"
	ip -n "$ns_probe" link add "$link_probe" type veth peer name "$link_peer" \
		netns "$ns_peer"
	# Keep IPv6 quiet so that the kernel adds no frames of its own to the trace's.
	ip netns exec "$ns_probe" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns_peer" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
	ip -n "$ns_probe" addr add 198.19.255.1/30 dev "$link_probe"
	ip -n "$ns_peer" addr add 198.19.255.2/30 dev "$link_peer"
	for ns in "$ns_probe" "$ns_peer"; do ip -n "$ns" link set lo up; done
	ip -n "$ns_probe" link set "$link_probe" up
	ip -n "$ns_peer" link set "$link_peer" up

	# XDP first; a kernel that refuses the XDP program still gets the AF_PACKET demo.
	local mode
	for mode in xdp afpacket; do
		start_probe "$link_probe" "$mode" && break
		echo "demo: flowprobe did not start in $mode mode:" >&2
		cat "$work/log" >&2
		[ "$mode" = afpacket ] && return 1
	done
	echo "== $("$bin" --version): live $mode capture on $link_probe (netns $ns_probe)"
	echo "   replaying $trace into $link_peer with tcpreplay"

	ip netns exec "$ns_peer" tcpreplay -i "$link_peer" --topspeed "$trace" \
		>"$work/replay" 2>&1 || { cat "$work/replay" >&2; return 1; }
	echo
	echo "-- tcpreplay"
	grep -E 'Actual:|Successful packets:|Failed packets:' "$work/replay" |
		sed 's/^[[:space:]]*//'
	# The XDP tables are read every 3 s: wait for a read so the metrics show the trace.
	sleep 3.5
	scrape >"$work/metrics" || echo "demo: could not read the metrics" >&2
	kill -TERM "$probe_pid"
	local code=0
	wait "$probe_pid" || code=$?
	probe_pid=
	echo
	echo "-- the $top largest flows (flowprobe stopped with SIGTERM, exit code $code)"
	top_flows "$work/flows.csv"
	if [ -s "$work/metrics" ]; then
		echo
		echo "-- metrics on 127.0.0.1:9464/metrics, read before the stop"
		grep -v '^#' "$work/metrics" | grep -E '^flowprobe_' |
			grep -E 'packets|flows|records' | grep -vE ' 0$' | head -n 12
	fi
	echo
	echo "-- run summary (-v logs it)"
	grep -E '"message":"(finished|output)"' "$work/log"
	return "$code"
}

if [ "$(id -u)" -eq 0 ] && [ "${DEMO_OFFLINE:-0}" != 1 ]; then
	if need_tcpreplay; then
		live
		exit
	fi
	echo "demo: tcpreplay is missing and could not be installed; reading the file" >&2
fi
offline
