#!/usr/bin/env bash
# Runs every Go fuzz target of the project for the given time each: the first argument,
# else $FUZZTIME, else 30s. Exits non-zero when any target finds a failing input.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-${FUZZTIME:-30s}}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=0
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
		echo "== $pkg $target ($fuzztime)"
		if go test -run="^$" -fuzz="^${target}\$" -fuzztime="$fuzztime" \
			-fuzzminimizetime=5x "$pkg" >"$log" 2>&1; then
			tail -n 1 "$log"
			continue
		fi
		cat "$log"
		# go test -fuzz can report "context deadline exceeded" when its time runs out
		# while a worker is still minimising a new input; that is no failing input,
		# and a real one is always written to testdata/fuzz.
		if grep -q 'context deadline exceeded' "$log" &&
			! grep -q 'Failing input written' "$log"; then
			echo "   (the fuzzer stopped at its deadline mid-minimisation: no failing input)"
			continue
		fi
		failed=1
	done
done
exit $failed
