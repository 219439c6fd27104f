#!/usr/bin/env bash
# Delivery cost per frame through a Stream (channel and pull) versus the copy-per-frame
# baseline, in one run: prints the median of COUNT runs of each benchmark
# and the ratios. Usage: bench/core.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
out=$(go test -run '^$' -bench 'BenchmarkDelivery' -benchmem -count "$count" .)
echo "$out" | grep -E '^Benchmark' > /tmp/miniav-core-bench.txt
awk '
function median(arr, n,   i, j, t) {
	for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j > 0 && arr[j] > t; j--) arr[j+1] = arr[j]; arr[j+1] = t }
	return (n % 2) ? arr[(n+1)/2] : (arr[n/2] + arr[n/2+1]) / 2
}
{
	split($1, p, "/"); fmtname = p[2]; impl = p[3]; sub(/-[0-9]+$/, "", impl)
	key = fmtname SUBSEP impl
	n[key]++; ns[key, n[key]] = $3; bop[key] = $5; aop[key] = $7
	fmts[fmtname] = 1
}
END {
	printf "%-16s %-22s %14s %12s %10s\n", "format", "path", "ns/frame", "B/frame", "allocs"
	for (f in fmts) {
		for (k = 0; k < 3; k++) {
			impl = k == 0 ? "miniav" : k == 1 ? "miniav-pull" : "alloc-copy-baseline"
			key = f SUBSEP impl
			delete a; for (i = 1; i <= n[key]; i++) a[i] = ns[key, i]
			med[impl] = median(a, n[key])
			printf "%-16s %-22s %14.0f %12s %10s\n", f, impl, med[impl], bop[key], aop[key]
		}
		printf "%-16s %-22s %14.1fx faster\n", f, "ratio baseline/miniav", med["alloc-copy-baseline"] / med["miniav"]
		printf "%-16s %-22s %14.1fx faster\n", f, "ratio baseline/pull", med["alloc-copy-baseline"] / med["miniav-pull"]
	}
}' /tmp/miniav-core-bench.txt
