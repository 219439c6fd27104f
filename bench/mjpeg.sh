#!/usr/bin/env bash
# MJPEG decoding, CPU per frame on one thread: miniav's TurboJPEG path and
# its pure-Go path (image/jpeg copied into pooled planes), pion/mediadevices'
# MJPEG decoder (image/jpeg, a new image per frame) and ffmpeg's mjpeg
# decoder (-threads 1, to the null muxer, its start-up subtracted), in one
# run on the same clips: 1280x720 and 1920x1080, 4:2:2 (what most USB
# webcams send) and 4:2:0, encoded by ffmpeg from a moving test pattern with
# sensor-like noise. ROUNDS (3) alternating rounds, medians.
# Usage: [ROUNDS=3] [FRAMES=600] bench/mjpeg.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v ffmpeg >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg libturbojpeg0-dev >/dev/null; }
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
go build -o "$dir/bench" ./bench/mjpeg
rounds=${ROUNDS:-3}; frames=${FRAMES:-600}
med() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" | sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "MJPEG decode, CPU ms per frame on one thread (median of $rounds alternating rounds of $frames frames); ratio = tool / ffmpeg"
printf '%-16s %9s %9s %9s %9s %9s %9s %9s %9s %9s\n' clip KB/frame ffmpeg turbo ratio pure ratio pion ratio "allocs t/p/pion"
for size in 1280x720 1920x1080; do
	for pix in yuvj422p yuvj420p; do
		clip="$dir/$size-$pix.mjpeg"
		ffmpeg -v error -f lavfi -i "testsrc2=size=$size:rate=30,noise=alls=8:allf=t" -frames 60 -c:v mjpeg -q:v 5 -pix_fmt "$pix" "$clip"
		kb=$(awk -v b="$(stat -c %s "$clip")" 'BEGIN{printf "%.0f", b/60/1024}')
		declare -A out=()
		for ((i = 0; i < rounds; i++)); do
			for t in ffmpeg turbo pure pion; do out[$t]+="$("$dir/bench" -clip "$clip" -tool $t -frames "$frames")"$'\n'; done
		done
		f=$(med cpu_ms <<<"${out[ffmpeg]}"); tu=$(med cpu_ms <<<"${out[turbo]}"); pu=$(med cpu_ms <<<"${out[pure]}"); pi=$(med cpu_ms <<<"${out[pion]}")
		al="$(med allocs <<<"${out[turbo]}")/$(med allocs <<<"${out[pure]}")/$(med allocs <<<"${out[pion]}")"
		awk -v c="$size ${pix#yuvj}" -v kb="$kb" -v f="$f" -v t="$tu" -v p="$pu" -v q="$pi" -v al="$al" \
			'BEGIN{printf "%-16s %9s %9.2f %9.2f %8.2fx %9.2f %8.2fx %9.2f %8.2fx %s\n", c, kb, f, t, t/f, p, p/f, q, q/f, al}'
		unset out
	done
done
