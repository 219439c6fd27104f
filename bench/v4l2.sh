#!/usr/bin/env bash
# CPU time and allocations per frame of V4L2 capture on the same vivid node
# and format, inside the qemu VM of scripts/vm, in one run:
#   miniav, miniav-pull  miniav's zero-copy V4L2 backend through a Stream
#                        (its capture goroutine and queue) and a pull stream
#   source               that backend's Read/ReleaseBuffer alone
#   pion                 pion/mediadevices' Linux camera driver read directly
#                        (the peer: it copies each frame out of the kernel
#                        buffer, then unpacks it into new YCbCr planes)
#   webcam-copy          the reader pion builds on (github.com/blackjack/webcam:
#                        ReadFrame, then a copy into a new slice)
#   miniav-pion, miniav-pion-pull  pion's driver behind miniav's
#                        mediadevices backend (the macOS/Windows path)
# vivid paces frames, so wall time per frame is the frame interval for all;
# the figure that differs is the process's CPU time per frame (getrusage).
# Prints the median of COUNT alternating rounds and the ratios to pion.
# Usage: bench/v4l2.sh [COUNT [FRAMES]]   (VMEXEC: another go test -exec wrapper)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
count=${1:-3}
frames=${2:-60}
out=$(go test -run '^$' -bench 'BenchmarkCapture/' -benchtime "${frames}x" -count "$count" \
	-exec "${VMEXEC:-$PWD/scripts/vm/exec}" ./backend/v4l2/ ./backend/mediadevices/ 2>&1) || { echo "$out"; exit 1; }
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
	nimpl = split("miniav miniav-pull source pion webcam-copy miniav-pion miniav-pion-pull", impls, " ")
	split("cpu-ns/frame user-ns/frame B/frame allocs/frame copies/frame", units, " ")
	printf "%-10s %-17s %14s %14s %12s %10s %8s %10s\n", "size", "reader", "cpu-ns/frame", "user-ns/frame", "B/frame", "allocs", "copies", "CPU/pion"
	for (s in sizes) {
		for (k = 1; k <= nimpl; k++) {
			impl = impls[k]; key = s SUBSEP impl
			if (!n[key]) continue
			for (u = 1; u <= 5; u++) { delete a; for (i = 1; i <= n[key]; i++) a[i] = v[key, units[u], i]; med[s, impl, u] = median(a, n[key]) }
		}
		for (k = 1; k <= nimpl; k++) {
			impl = impls[k]; if (!n[s SUBSEP impl]) continue
			ratio = med[s, "pion", 1] ? sprintf("%.2fx", med[s, impl, 1] / med[s, "pion", 1]) : "-"
			printf "%-10s %-17s %14.0f %14.0f %12.0f %10.3f %8.2f %10s\n", s, impl, med[s,impl,1], med[s,impl,2], med[s,impl,3], med[s,impl,4], med[s,impl,5], ratio
		}
	}
}' /tmp/miniav-v4l2-bench.txt
