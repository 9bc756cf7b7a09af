#!/usr/bin/env bash
# Runs flowprobe on a bundled sample trace and prints the flows it finds as a table,
# then the same flows as JSON lines. Needs no root. `make demo` builds bin/flowprobe
# first; run on its own, the script builds it when it is missing.
#
# Usage: hack/demo.sh [TRACE]   (default: testdata/pcap/ipfixprobe-mixed.pcap)
set -euo pipefail
cd "$(dirname "$0")/.."

bin=bin/flowprobe
if [ ! -x "$bin" ]; then
	mkdir -p bin
	go build -ldflags "-X main.version=$(cat VERSION)" -o "$bin" ./probe/cmd/flowprobe
fi
trace=${1:-testdata/pcap/ipfixprobe-mixed.pcap}

echo "== $("$bin" --version): flows of $trace"
echo
"$bin" -r "$trace" -o table
echo
echo "== the first three flows as JSON lines (-o json)"
"$bin" -r "$trace" -o json | sed -n 1,3p
echo
echo "== run summary (-v logs it)"
"$bin" -r "$trace" -o csv:/dev/null -v 2>&1 >/dev/null | tail -n 2
