#!/usr/bin/env bash
# X11 screen capture at 1920x1080, miniav's x11 backend (MIT-SHM) against
# ffmpeg x11grab, in one run on the same private Xvfb: max fps unpaced and
# client + X server CPU (percent of one core) at 30 fps, 5 s each after a
# 1 s warm-up, ROUNDS (3) alternating rounds, medians; then the memory-copy
# bound of unpaced capture (one core copying 1920x1080x4 frames) and
# miniav's allocations per frame. Installs ffmpeg and Xvfb if missing.
# Usage: [SECS=5] [ROUNDS=3] bench/screen.sh
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v Xvfb >/dev/null || need+=(xvfb)
if [ ${#need[@]} -gt 0 ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
go build -o /tmp/miniav-bench-screen ./bench/screen
fifo=$(mktemp -u); mkfifo "$fifo"
Xvfb -displayfd 4 -screen 0 1920x1080x24 -nolisten tcp -noreset 4>"$fifo" 2>/dev/null &
xpid=$!
trap 'kill $xpid 2>/dev/null; wait $xpid 2>/dev/null; rm -f "$fifo"' EXIT
read -r dnum <"$fifo"
disp=":$dnum"
secs=${SECS:-5}
run() { /tmp/miniav-bench-screen -display "$disp" -xpid "$xpid" -secs "$secs" "$@" 2>/dev/null; }
rounds=${ROUNDS:-3}
mu=(); fu=(); m30=(); f30=(); mc=()
for ((i = 0; i < rounds; i++)); do # alternate the tools, then take medians
	mu+=("$(run -tool miniav -fps 0)"); fu+=("$(run -tool ffmpeg -fps 0)"); mc+=("$(run -tool memcpy -secs 2)")
	m30+=("$(run -tool miniav -fps 30)"); f30+=("$(run -tool ffmpeg -fps 30)")
done
# med KEY LINES...: median of KEY over the runs
med() { local k=$1; shift; printf '%s\n' "$@" | sed -n "s/.*$k=\([0-9.]*\).*/\1/p" | sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "X11 capture 1920x1080 on Xvfb $disp (static screen), ${secs} s per run, median of $rounds alternating runs, CPU in % of one core"
printf '%-28s %12s %12s %12s\n' "measure" "miniav" "ffmpeg" "ratio"
row() { awk -v n="$1" -v a="$2" -v b="$3" -v inv="$4" 'BEGIN{r = inv ? (a>0 ? b/a : 0) : (b>0 ? a/b : 0); printf "%-28s %12.1f %12.1f %11.2fx\n", n, a, b, r}'; }
row "max fps (unpaced)" "$(med fps "${mu[@]}")" "$(med fps "${fu[@]}")" 0
row "unpaced client CPU" "$(med client_cpu "${mu[@]}")" "$(med client_cpu "${fu[@]}")" 0
row "unpaced Xvfb CPU" "$(med xserver_cpu "${mu[@]}")" "$(med xserver_cpu "${fu[@]}")" 0
row "30 fps: delivered fps" "$(med fps "${m30[@]}")" "$(med fps "${f30[@]}")" 0
row "30 fps: client CPU" "$(med client_cpu "${m30[@]}")" "$(med client_cpu "${f30[@]}")" 0
row "30 fps: Xvfb CPU" "$(med xserver_cpu "${m30[@]}")" "$(med xserver_cpu "${f30[@]}")" 0
tot() { local l; for l in "$@"; do awk -v a="$(sed -n 's/.*client_cpu=\([0-9.]*\).*/\1/p' <<<"$l")" -v b="$(sed -n 's/.*xserver_cpu=\([0-9.]*\).*/\1/p' <<<"$l")" 'BEGIN{print "total=" a+b}'; done; }
row "30 fps: client+Xvfb CPU" "$(med total $(tot "${m30[@]}"))" "$(med total $(tot "${f30[@]}"))" 0
echo "ratio = miniav/ffmpeg (fps: higher is better; CPU: lower is better)"
echo "bound: one core copies $(med fps "${mc[@]}") frames/s of 1920x1080x4 in memory ($(med gbps "${mc[@]}") GB/s, row by row);"
echo "       unpaced capture costs the X server one such copy per frame (Xvfb CPU / fps above)"
allocs=$(go test -run '^$' -bench 'Capture/mode=mit-shm' -benchtime 2000x ./backend/x11/ 2>/dev/null | awk '/allocs\/op/{print $(NF-1)}')
echo "miniav allocations per frame (BenchmarkCapture, MIT-SHM, unpaced): ${allocs:-?}"
