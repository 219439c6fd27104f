#!/usr/bin/env bash
# Windows screen capture under Wine, in one run on one private Xvfb
# (1280x720): backend/gdi (BitBlt into a ring of DIB sections, frames view
# them) against pion/mediadevices' screen driver (kbinani/screenshot, a new
# image per frame). BenchmarkScreen in backend/gdi, built with GOOS=windows
# CGO_ENABLED=0 and run under wine with the project's prefix
# (scripts/wine/env.sh): FRAMES (100) unpaced frames per run, ROUNDS (3)
# runs, medians. CPU is the Windows process's own (GetProcessTimes: every
# thread, GC included; the X server's work behind Wine's BitBlt is the same
# for both and not counted). Under Wine absolute figures mean little: the
# ratio is what counts.
# Usage: [FRAMES=100] [ROUNDS=3] bench/gdi.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
source scripts/wine/env.sh
wine_prepare >&2
work=$(mktemp -d /tmp/miniav-bench-gdi.XXXXXX)
fifo=$work/fifo; mkfifo "$fifo"
Xvfb -displayfd 4 -screen 0 1280x720x24 -nolisten tcp -noreset 4>"$fifo" 2>/dev/null &
xpid=$!
trap 'wineserver -k 2>/dev/null || true; kill $xpid 2>/dev/null; wait $xpid 2>/dev/null; rm -rf "$work"' EXIT
read -r dnum <"$fifo"
export DISPLAY=:$dnum
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -c -o "$work/gdi.exe" ./backend/gdi
wine cmd /c exit >/dev/null 2>&1 || true # Wine's desktop boots before the timed runs
frames=${FRAMES:-100} rounds=${ROUNDS:-3}
out=$(cd backend/gdi && wine "$work/gdi.exe" -test.run '^$' -test.bench '^BenchmarkScreen$' \
	-test.benchtime "${frames}x" -test.count "$rounds" 2>&1 | tr -d '\r')
grep -q '^PASS' <<<"$out" || { echo "$out"; echo "bench/gdi.sh: the benchmark failed" >&2; exit 1; }
# med IMPL UNIT: median of the figure before UNIT over IMPL's runs
med() {
	grep "^BenchmarkScreen/$1-" <<<"$out" | awk -v u="$2" '{for (i = 2; i <= NF; i++) if ($i == u) print $(i-1)}' |
		sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}
echo "Screen capture under $(wine --version), display 0 at 1280x720 on Xvfb, $frames unpaced frames x $rounds runs, medians"
printf '%-26s %14s %14s %10s\n' measure gdi pion ratio
row() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN{printf "%-26s %14.0f %14.0f %9.2fx\n", n, a, b, (b > 0 ? a/b : 0)}'; }
row "process CPU ns/frame" "$(med gdi cpu-ns/frame)" "$(med pion cpu-ns/frame)"
row "wall ns/frame" "$(med gdi ns/op)" "$(med pion ns/op)"
row "bytes allocated/frame" "$(med gdi B/op)" "$(med pion B/op)"
row "allocations/frame" "$(med gdi allocs/op)" "$(med pion allocs/op)"
echo "ratio = gdi/pion (lower is better); pixels per frame: gdi $(med gdi pixels), pion $(med pion pixels)"
