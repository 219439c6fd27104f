#!/usr/bin/env bash
# A short fuzzing run of every fuzz target on top of its seed corpus
# (testdata/fuzz; plain `go test` already replays the corpus): FUZZTIME
# each (default 10s), one target at a time, as fuzzing uses every core.
# Fails if a target's list (scripts/fuzz-targets.sh) misses a `func Fuzz`,
# or a run finds a failing input (written to the package's testdata/fuzz:
# fix the bug and commit the input as a corpus entry).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=$PATH:/usr/local/go/bin
source scripts/fuzz-targets.sh

# Every func Fuzz of the module is listed.
listed=$(printf '%s\n' "${fuzz_targets[@]}" | awk '{print $2}' | sort)
found=$(grep -rhoE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+' . | sed 's/^func //' | sort)
if [ "$listed" != "$found" ]; then
	echo "fuzz: scripts/fuzz-targets.sh and the func Fuzz of the module differ:"
	diff <(echo "$listed") <(echo "$found") || true
	exit 1
fi

for t in "${fuzz_targets[@]}"; do
	set -- $t
	echo "-- fuzz $2 in $1 for ${FUZZTIME:-10s}"
	# A new input is minimized for up to 60 s by default, which would take
	# a short run's whole time (FuzzDecode sat at 25 executions for 10 s).
	for try in 1 2 3 4; do
		log=$(mktemp)
		if go test -run '^$' -fuzz "^$2\$" -fuzztime "${FUZZTIME:-10s}" -fuzzminimizetime "${FUZZMINIMIZETIME:-1s}" "$1" 2>&1 | tee "$log"; then
			rm -f "$log"
			break
		fi
		# Go's fuzzing coordinator can end a -fuzztime run with a bare
		# "context deadline exceeded": at the deadline it compares the
		# parent context's error with the child's before the child is
		# cancelled (a race in internal/fuzz, Go issue 75804, fixed
		# in Go 1.27; not an input: nothing is written). That alone is
		# run again, up to three times (twice in a row was seen for
		# FuzzParseVideo on two cores); a failing input, a panic or
		# anything else fails at once.
		if [ "$try" -lt 4 ] && grep -q '^    context deadline exceeded$' "$log" && ! grep -q -e 'Failing input written' -e 'panic:' -e '_test.go:[0-9]' "$log"; then
			echo "-- fuzz $2: the coordinator's deadline race (no failing input); running it again"
			rm -f "$log"
			continue
		fi
		rm -f "$log"
		exit 1
	done
done
