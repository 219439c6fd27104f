#!/usr/bin/env bash
# Long fuzzing runs: every fuzz target (or those whose name matches $1)
# for FUZZTIME each (default 10m), one at a time, printing each target's
# executions per second and its corpus size (seed files in testdata/fuzz,
# and what the fuzzer keeps in the Go cache). A failing input is written
# to the package's testdata/fuzz; the run goes on with the next target
# and exits non-zero at the end.
#   FUZZTIME=30m bash bench/fuzz.sh            # all of them
#   FUZZTIME=1h bash bench/fuzz.sh FuzzPackets  # one
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
source scripts/fuzz-targets.sh
select=${1:-}
cache=$(go env GOCACHE)/fuzz/github.com/miniav-go/miniav
rc=0
for t in "${fuzz_targets[@]}"; do
	set -- $t
	pkg=$1 target=$2
	[[ -n "$select" && ! "$target" =~ $select ]] && continue
	out=$(go test -run '^$' -fuzz "^$target\$" -fuzztime "${FUZZTIME:-10m}" "$pkg" 2>&1) || { rc=1; echo "$out" | tail -20; }
	# The last progress line: "fuzz: elapsed: 60s, execs: 123 (2/sec), ..."
	last=$(echo "$out" | grep 'fuzz: elapsed' | tail -1)
	secs=$(echo "$last" | sed -E 's/.*elapsed: ([0-9]+)s.*/\1/')
	execs=$(echo "$last" | sed -E 's/.*execs: ([0-9]+).*/\1/')
	seeds=$(ls "${pkg#./}/testdata/fuzz/$target" 2>/dev/null | wc -l)
	kept=$(ls "$cache/${pkg#./}/$target" 2>/dev/null | wc -l)
	printf '%-16s %-22s %8s s %12s execs %8s/s  seed files %4d  cached corpus %5d\n' \
		"$target" "$pkg" "$secs" "$execs" "$(( secs > 0 ? execs / secs : 0 ))" "$seeds" "$kept"
done
exit $rc
