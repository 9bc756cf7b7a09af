#!/usr/bin/env bash
# What `make bench` runs: the Go benchmarks of every package that has them, then
# flowprobe and softflowd side by side on one generated trace (IPFIX over UDP to a
# counting sink on 127.0.0.1), with the reference figures of docs/design.md.
#
# Environment: BENCH_RUNS (default 3) runs of each probe; BENCH_PACKETS and
# BENCH_FLOWS (default 2000000 and 100000) shape the trace; BENCH_SKIP_GO=1 skips
# the Go benchmarks; BENCH_PKGS lists the packages to benchmark instead of all that
# have benchmarks; BENCHTIME is passed to -benchtime (default 1s); BENCH_TIMEOUT
# (default 10m) bounds the benchmarks of each package. BENCH_FLOWPROBE_ARGS and
# BENCH_SOFTFLOWD_ARGS replace the probes' arguments, with {trace} and {port} in
# them (e.g. BENCH_FLOWPROBE_ARGS='-r {trace} -x 127.0.0.1:{port} -u --split').
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${BENCH_RUNS:-3}
packets=${BENCH_PACKETS:-2000000}
flows=${BENCH_FLOWS:-100000}
out=bench-out
mkdir -p "$out"

if [ "${BENCH_SKIP_GO:-0}" != 1 ]; then
	if [ -n "${BENCH_PKGS:-}" ]; then
		read -r -a pkgs <<<"$BENCH_PKGS"
	else
		mapfile -t pkgs < <(grep -rl --include='*_test.go' --exclude-dir="$out" \
			'^func Benchmark' . | xargs -r -n1 dirname | sort -u)
	fi
	echo "== Go benchmarks (${pkgs[*]})"
	# Each package's test binary runs on its own under timeout(1): go test's -timeout
	# does not cover benchmarks, and one that never ends must not hold up the rest.
	mkdir -p "$out/tests"
	for pkg in "${pkgs[@]}"; do
		bin="$PWD/$out/tests/$(echo "${pkg#./}" | tr / _).test"
		if ! go test -c -o "$bin" "$pkg"; then
			echo "bench: $pkg: the tests do not build"
			continue
		fi
		(cd "$pkg" && timeout -k 10s "${BENCH_TIMEOUT:-10m}" "$bin" -test.run '^$' \
			-test.bench . -test.benchmem -test.benchtime "${BENCHTIME:-1s}") ||
			echo "bench: $pkg: the benchmarks failed or ran over ${BENCH_TIMEOUT:-10m}"
	done
	echo
fi

echo "== probes side by side"
go build -o "$out/pcapgen" ./tools/pcapgen
go build -o "$out/compare" ./hack/bench/compare

# The trace is generated once per shape and kept: pcapgen is deterministic.
trace="$out/trace-${packets}p-${flows}f-seed1.pcap"
if [ ! -s "$trace" ] || [ ! -s "$trace.json" ]; then
	"$out/pcapgen" -o "$trace.tmp" -truth "$trace.json.tmp" -packets "$packets" \
		-flows "$flows" -seed 1 -ipv6 0.1 -rate 1000000
	mv "$trace.json.tmp" "$trace.json"
	mv "$trace.tmp" "$trace"
fi

flowprobe=""
if [ ! -d probe/cmd/flowprobe ]; then
	echo "bench: probe/cmd/flowprobe does not exist yet: flowprobe is left out"
elif ! go build -o bin/flowprobe ./probe/cmd/flowprobe; then
	echo "bench: probe/cmd/flowprobe does not build: flowprobe is left out"
else
	flowprobe=bin/flowprobe
fi

softflowd=$(command -v softflowd || true)
if [ -z "$softflowd" ]; then
	echo "bench: softflowd is not installed (run hack/setup-test-host.sh as root): left out"
fi

# The probes export a burst of records at the end of the trace; give the sink room.
if [ "$(id -u)" -eq 0 ]; then
	sysctl -q -w net.core.rmem_max=33554432 || true
fi

# The figures are kept, one file per run of the bench, to compare over time.
args=(-trace "$trace" -runs "$runs" -flowprobe "$flowprobe" -softflowd "$softflowd")
[ -n "${BENCH_FLOWPROBE_ARGS:-}" ] && args+=(-flowprobe-args "$BENCH_FLOWPROBE_ARGS")
[ -n "${BENCH_SOFTFLOWD_ARGS:-}" ] && args+=(-softflowd-args "$BENCH_SOFTFLOWD_ARGS")
"$out/compare" "${args[@]}" |
	tee "$out/probes-$(date -u +%Y%m%dT%H%M%SZ).txt"
