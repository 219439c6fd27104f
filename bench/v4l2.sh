#!/usr/bin/env bash
# CPU time and allocations per frame of miniav's zero-copy V4L2 capture
# versus the copy-per-frame reader pion/mediadevices uses
# (github.com/blackjack/webcam: ReadFrame, then a copy into a new slice),
# on the same vivid node and format, inside the qemu VM of scripts/vm.
# vivid paces frames, so wall time per frame is the frame interval for
# both; the figure that differs is the process's CPU time per frame
# (getrusage). "source" is the backend read directly (Read/ReleaseBuffer in
# one loop, like the webcam reader); "miniav" goes through a Stream (its
# capture goroutine, queue and Frame). Prints the median of COUNT
# alternating rounds and the ratios.
# Usage: bench/v4l2.sh [COUNT [FRAMES]]   (VMEXEC: another go test -exec wrapper)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
count=${1:-3}
frames=${2:-60}
out=$(go test -run '^$' -bench 'BenchmarkCapture/.*/(miniav|miniav-pull|source|webcam-copy)$' -benchtime "${frames}x" -count "$count" \
	-exec "${VMEXEC:-$PWD/scripts/vm/exec}" ./backend/v4l2/ 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E '^Benchmark' > /tmp/miniav-v4l2-bench.txt
awk '
function median(arr, n,   i, j, t) {
	for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j > 0 && arr[j] > t; j--) arr[j+1] = arr[j]; arr[j+1] = t }
	return (n % 2) ? arr[(n+1)/2] : (arr[n/2] + arr[n/2+1]) / 2
}
{
	split($1, p, "/"); size = p[2]; impl = p[3]; sub(/-[0-9]+$/, "", impl)
	key = size SUBSEP impl; n[key]++; sizes[size] = 1
	for (i = 3; i < NF; i += 2) { v[key, $(i+1), n[key]] = $i }
}
END {
	printf "%-10s %-12s %14s %14s %12s %10s %8s\n", "size", "reader", "cpu-ns/frame", "user-ns/frame", "B/frame", "allocs", "copies"
	for (s in sizes) {
		for (k = 0; k < 4; k++) {
			impl = k == 0 ? "miniav" : k == 1 ? "miniav-pull" : k == 2 ? "source" : "webcam-copy"; key = s SUBSEP impl
			split("cpu-ns/frame user-ns/frame B/frame allocs/frame copies/frame", units, " ")
			for (u = 1; u <= 5; u++) { delete a; for (i = 1; i <= n[key]; i++) a[i] = v[key, units[u], i]; med[impl, u] = median(a, n[key]) }
			printf "%-10s %-12s %14.0f %14.0f %12.0f %10.3f %8.2f\n", s, impl, med[impl,1], med[impl,2], med[impl,3], med[impl,4], med[impl,5]
		}
		printf "%-10s CPU ratio to webcam-copy: miniav (Stream) %.2fx, miniav-pull (Stream.Next) %.2fx, source (backend alone) %.2fx; user CPU %.2fx, %.2fx, %.2fx\n", s,
			med["miniav",1] / med["webcam-copy",1], med["miniav-pull",1] / med["webcam-copy",1], med["source",1] / med["webcam-copy",1], med["miniav",2] / med["webcam-copy",2], med["miniav-pull",2] / med["webcam-copy",2], med["source",2] / med["webcam-copy",2]
	}
}' /tmp/miniav-v4l2-bench.txt
