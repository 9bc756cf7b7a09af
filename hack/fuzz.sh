#!/usr/bin/env bash
# Runs every Go fuzz target of the project for the given time each: the first argument,
# else $FUZZTIME, else 30s.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-${FUZZTIME:-30s}}
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
		echo "== $pkg $target ($fuzztime)"
		go test -run="^$" -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime=5x "$pkg"
	done
done
