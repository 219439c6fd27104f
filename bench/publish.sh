#!/usr/bin/env bash
# LiveKit publishing, in one run: CPU per frame of miniav-publish (testsrc
# 1280x720@30 I420, VP8 at 2 Mbit/s through publish/internal/vp8enc,
# cpu-used 8, pion/webrtc, LiveKit's Go SDK) into livekit-server --dev on
# 127.0.0.1 (no subscriber), against ffmpeg encoding the same pattern with
# libvpx and the same settings (-deadline realtime -cpu-used 8 -b:v 2M
# -g 60 -threads 1) into -f null. CPU is each process's user+sys from
# /usr/bin/time over its whole run; ROUNDS (3) alternating rounds of SECS
# (20) s for miniav-publish and 600 frames for ffmpeg; medians.
#
# MEM=1 instead runs one publication for SECS (default 600) seconds with
# -memstats, which prints heap, RSS and outstanding frames every 30 s.
#
# Needs livekit-server (scripts/test.d/publish.sh builds it; or
# MINIAV_LIVEKIT_SERVER) and ffmpeg. Usage: [ROUNDS=3] [SECS=20] [MEM=1] bench/publish.sh
set -euo pipefail
cd "$(dirname "$0")/.."
lk=${MINIAV_LIVEKIT_SERVER:-${XDG_CACHE_HOME:-$HOME/.cache}/miniav-livekit/v1.9.11/server}
[ -x "$lk" ] || { echo "no livekit-server at $lk (run scripts/test.d/publish.sh once)"; exit 1; }
tmp=$(mktemp -d)
(cd publish && go build -o "$tmp/miniav-publish" ./cmd/miniav-publish)
go build -o "$tmp/miniav" ./cmd/miniav
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/lk.yaml" <<YAML
port: $port
bind_addresses: ["127.0.0.1"]
rtc: {tcp_port: $((port + 1)), udp_port: $((port + 2)), node_ip: 127.0.0.1, use_external_ip: false}
keys: {benchkey: bench-secret-0123456789abcdef0123456789}
YAML
"$lk" --config "$tmp/lk.yaml" >"$tmp/lk.log" 2>&1 &
lkpid=$!
trap 'kill $lkpid 2>/dev/null; wait $lkpid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
url=ws://127.0.0.1:$port
pub() { "$tmp/miniav-publish" -device testsrc:camera -format "1280x720@30 i420" -bitrate 2000000 \
	-url "$url" -room bench -key benchkey -secret bench-secret-0123456789abcdef0123456789 "$@"; }

if [ "${MEM:-}" = 1 ]; then
	secs=${SECS:-600}
	echo "publishing 1280x720@30 VP8 for $secs s, memory every 30 s"
	pub -duration "${secs}s" -memstats 30s
	exit 0
fi

secs=${SECS:-20}
rounds=${ROUNDS:-3}
# 150 frames of the same pattern, looped to 600 for ffmpeg.
"$tmp/miniav" capture -q -device testsrc:camera -format "1280x720@30 I420" -raw -frames 150 -o - >"$tmp/raw.yuv" 2>/dev/null
ff() { /usr/bin/time -f "cpu=%U+%S" ffmpeg -hide_banner -loglevel error -stream_loop 3 -f rawvideo -pix_fmt yuv420p -s 1280x720 -r 30 \
	-i "$tmp/raw.yuv" -c:v libvpx -deadline realtime -cpu-used 8 -b:v 2M -g 60 -threads 1 -f null - 2>&1 | tail -1; }
mp=(); fp=()
for ((i = 0; i < rounds; i++)); do
	out=$(/usr/bin/time -f "cpu=%U+%S" "$tmp/miniav-publish" -device testsrc:camera -format "1280x720@30 i420" -bitrate 2000000 \
		-url "$url" -room bench -key benchkey -secret bench-secret-0123456789abcdef0123456789 -duration "${secs}s" 2>&1 | tail -2)
	frames=$(sed -n 's/^sent \([0-9]*\) frames.*/\1/p' <<<"$out")
	cpu=$(sed -n 's/^cpu=\(.*\)$/\1/p' <<<"$out" | bc -l)
	mp+=("$(awk -v c="$cpu" -v f="$frames" 'BEGIN{printf "%.3f", 1000*c/f}')")
	echo "round $i miniav-publish: $frames frames, ${cpu} s CPU: ${mp[-1]} ms/frame ($(head -1 <<<"$out"))"
	cpu=$(ff | sed -n 's/^cpu=\(.*\)$/\1/p' | bc -l)
	fp+=("$(awk -v c="$cpu" 'BEGIN{printf "%.3f", 1000*c/600}')")
	echo "round $i ffmpeg: 600 frames, ${cpu} s CPU: ${fp[-1]} ms/frame"
done
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
m=$(med "${mp[@]}"); f=$(med "${fp[@]}")
echo "median CPU per frame: miniav-publish $m ms, ffmpeg libvpx -cpu-used 8 $f ms, ratio $(awk -v a="$m" -v b="$f" 'BEGIN{printf "%.2f", a/b}')x"
