#!/usr/bin/env bash
# LiveKit publishing, in one run: CPU per frame of miniav-publish (testsrc
# 1280x720@30 I420, VP8 at 2 Mbit/s through publish/internal/vp8enc,
# cpu-used 8, pion/webrtc, LiveKit's Go SDK) into livekit-server --dev on
# 127.0.0.1 (no subscriber), against ffmpeg encoding the same pattern with
# libvpx and the same settings (-deadline realtime -cpu-used 8, CBR at 2M
# with a 1 s buffer half full at the start, undershoot 100% and overshoot
# 15% as vp8enc sets them, -g 60 -threads 1) into -f null. CPU is each process's user+sys from
# /usr/bin/time over its whole run; ROUNDS (3) alternating rounds of SECS
# (20) s for miniav-publish and 600 frames for ffmpeg; medians. Also the
# steady state: the CPU of a run of SECS/5 s (120 frames for ffmpeg)
# subtracted, so that start-up (Go runtime, joining the room, DTLS;
# ffmpeg's own) does not count. And ffmpeg with -re, reading its input at
# 30 fps as a live source arrives (miniav-publish's testsrc is paced):
# then both sleep between frames and pay the wake-ups. And miniav-publish
# -unpaced -fixed-bitrate (SECS/5 s, less a 1 s run for the steady state):
# testsrc read as fast as the encoder takes it, stamped at 30 fps by its
# own clock, as ffmpeg reads its file: unpaced against unpaced; and that
# again with the publisher kept on one CPU (taskset -c 0), as ffmpeg's one
# encoding thread keeps to one.
#
# Then, because this VM's speed drifts by 10-50% from one minute to the
# next (the same unpaced publisher took 5.6 and 8.3 ms per frame a few
# minutes apart), the same comparisons again as concurrent pairs: the
# publisher kept on one CPU and ffmpeg on the other, run at the same time
# so that both see the same machine, the CPUs swapped every round
# (livekit-server free to run on either); the ratio is taken per pair and
# its median reported. Unpaced against unpaced, and paced against -re.
# PAIRS_ONLY=1 runs only these.
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
pubargs=(-device testsrc:camera -format "1280x720@30 i420" -bitrate 2000000
	-url "$url" -room bench -key benchkey -secret bench-secret-0123456789abcdef0123456789)
pub() { "$tmp/miniav-publish" "${pubargs[@]}" "$@"; }

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
# ff N [-re]: CPU seconds of ffmpeg encoding N frames (-re: read at 30 fps,
# paced as a live source is, instead of as fast as it can)
# ffmpeg's input and its encoder, the same settings as vp8enc's
ffin=(-f rawvideo -pix_fmt yuv420p -s 1280x720 -r 30 -i "$tmp/raw.yuv")
ffenc=(-c:v libvpx -deadline realtime -cpu-used 8 -b:v 2M -minrate 2M -maxrate 2M -bufsize 2M -rc_init_occupancy 1M
	-undershoot-pct 100 -overshoot-pct 15 -g 60 -threads 1 -f null -)
ff() { /usr/bin/time -f "cpu=%U+%S" ffmpeg -hide_banner -loglevel error ${2:-} -stream_loop 3 "${ffin[@]}" -frames:v "$1" "${ffenc[@]}" 2>&1 |
	tail -1 | sed -n 's/^cpu=\(.*\)$/\1/p' | bc -l; }
# tp [taskset -c N] ARGS...: "frames cpu" of one miniav-publish run with
# ARGS (and, with taskset in front, kept on CPU N)
tp() {
	local pre=() out
	if [ "$1" = taskset ]; then pre=("$1" "$2" "$3"); shift 3; fi
	out=$(/usr/bin/time -f "cpu=%U+%S" "${pre[@]}" "$tmp/miniav-publish" "${pubargs[@]}" "$@" 2>&1 | grep -E "^(sent|cpu=)")
	echo "$(sed -n 's/^sent \([0-9]*\) frames.*/\1/p' <<<"$out") $(sed -n 's/^cpu=\(.*\)$/\1/p' <<<"$out" | bc -l)"
}
# mp SECS: "frames cpu" of one miniav-publish run
mp() { tp -duration "${1}s"; }
# mu SECS: "frames cpu" of one miniav-publish -unpaced run: testsrc read as
# fast as the encoder takes it (none dropped), stamped at 30 fps by its own
# clock, at the fixed 2 Mbit/s ffmpeg runs at: the same work as ffmpeg's
# unpaced encode, plus pion/webrtc and the LiveKit SDK
# (PIN=taskset -c 0 in front: the publisher kept on one CPU)
mu() { tp ${PIN:-} -unpaced -fixed-bitrate -duration "${1}s"; }
short=$((secs / 5))
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

# pair PUBCPU FFCPU SECS [paced]: "pf pc ff fc": frames and CPU seconds of
# miniav-publish (-unpaced -fixed-bitrate, or paced with "paced") on CPU
# PUBCPU and of ffmpeg (unpaced, or -re) on CPU FFCPU, started together;
# ffmpeg loops its input until the publisher is done and is then stopped
# with SIGINT (it counts its frames in -progress).
pair() {
	local mode=(-unpaced -fixed-bitrate) re=()
	if [ "${4:-}" = paced ]; then mode=(); re=(-re); fi
	rm -f "$tmp/ff.prog" "$tmp/ff.time"
	taskset -c "$2" /usr/bin/time -o "$tmp/ff.time" -f "cpu=%U+%S" ffmpeg -hide_banner -loglevel error -nostdin \
		-progress "$tmp/ff.prog" "${re[@]}" -stream_loop -1 "${ffin[@]}" "${ffenc[@]}" &
	local ffpid=$! mine
	mine=$(tp taskset -c "$1" "${mode[@]}" -duration "${3}s")
	pkill -INT -P "$ffpid" -x ffmpeg || true
	wait "$ffpid" || true
	echo "$mine $(grep '^frame=' "$tmp/ff.prog" | tail -1 | cut -d= -f2) $(sed -n 's/^cpu=\(.*\)$/\1/p' "$tmp/ff.time" | bc -l)"
}
# pairs [paced]: ROUNDS rounds of pair at SECS and at SECS/5 (for the
# steady state), CPUs swapped each round; prints each round and the medians
pairs() {
	local what=unpaced whole=() steady=() i a b
	[ "${1:-}" = paced ] && what="paced (ffmpeg -re)"
	for ((i = 0; i < rounds; i++)); do
		a=$((i % 2)); b=$((1 - i % 2))
		read -r pf pc ff fc <<<"$(pair $a $b "$secs" "${1:-}")"
		read -r spf spc sff sfc <<<"$(pair $a $b "$short" "${1:-}")"
		whole+=("$(awk -v pc="$pc" -v pf="$pf" -v fc="$fc" -v ff="$ff" 'BEGIN{printf "%.3f", (pc/pf)/(fc/ff)}')")
		steady+=("$(awk -v a="$pc" -v b="$spc" -v fa="$pf" -v fb="$spf" -v c="$fc" -v d="$sfc" -v fc="$ff" -v fd="$sff" \
			'BEGIN{printf "%.3f", ((a-b)/(fa-fb))/((c-d)/(fc-fd))}')")
		echo "pair round $i, $what, publisher on CPU $a, ffmpeg on CPU $b: miniav-publish ${secs} s: $pf frames $pc s CPU, ${short} s: $spf frames $spc s; ffmpeg meanwhile: $ff frames $fc s, $sff frames $sfc s; ratio whole ${whole[-1]}, steady ${steady[-1]}"
	done
	echo "concurrent pairs, $what, median ratio miniav-publish / ffmpeg: whole process $(med "${whole[@]}")x, steady state $(med "${steady[@]}")x"
}
if [ "${PAIRS_ONLY:-}" = 1 ]; then
	pairs
	pairs paced
	exit 0
fi

whole_m=(); whole_f=(); steady_m=(); steady_f=(); whole_r=(); steady_r=(); whole_u=(); steady_u=(); steady_p=()
for ((i = 0; i < rounds; i++)); do
	read -r mf mc <<<"$(mp "$secs")"
	read -r sf sc <<<"$(mp "$short")"
	read -r uf uc <<<"$(mu "$short")"
	read -r usf usc <<<"$(mu 1)"
	whole_u+=("$(awk -v c="$uc" -v f="$uf" 'BEGIN{printf "%.3f", 1000*c/f}')")
	steady_u+=("$(awk -v a="$uc" -v b="$usc" -v fa="$uf" -v fb="$usf" 'BEGIN{printf "%.3f", 1000*(a-b)/(fa-fb)}')")
	read -r pf pc <<<"$(PIN="taskset -c 0" mu "$short")"
	read -r psf psc <<<"$(PIN="taskset -c 0" mu 1)"
	steady_p+=("$(awk -v a="$pc" -v b="$psc" -v fa="$pf" -v fb="$psf" 'BEGIN{printf "%.3f", 1000*(a-b)/(fa-fb)}')")
	fc=$(ff 600)
	fs=$(ff 120)
	rc=$(ff 600 -re)
	rs=$(ff 120 -re)
	whole_r+=("$(awk -v c="$rc" 'BEGIN{printf "%.3f", 1000*c/600}')")
	steady_r+=("$(awk -v a="$rc" -v b="$rs" 'BEGIN{printf "%.3f", 1000*(a-b)/480}')")
	whole_m+=("$(awk -v c="$mc" -v f="$mf" 'BEGIN{printf "%.3f", 1000*c/f}')")
	whole_f+=("$(awk -v c="$fc" 'BEGIN{printf "%.3f", 1000*c/600}')")
	steady_m+=("$(awk -v a="$mc" -v b="$sc" -v fa="$mf" -v fb="$sf" 'BEGIN{printf "%.3f", 1000*(a-b)/(fa-fb)}')")
	steady_f+=("$(awk -v a="$fc" -v b="$fs" 'BEGIN{printf "%.3f", 1000*(a-b)/480}')")
	echo "round $i: miniav-publish ${secs} s: $mf frames ${mc} s CPU, ${short} s: $sf frames ${sc} s; ffmpeg 600 frames ${fc} s, 120 frames ${fs} s; ffmpeg -re 600 frames ${rc} s, 120 frames ${rs} s; miniav-publish -unpaced ${short} s: $uf frames ${uc} s, 1 s: $usf frames ${usc} s; the same on one CPU: $pf frames ${pc} s, $psf frames ${psc} s"
done
m=$(med "${whole_m[@]}"); f=$(med "${whole_f[@]}")
r=$(med "${whole_r[@]}")
echo "whole process, median CPU per frame: miniav-publish $m ms, ffmpeg $f ms (ratio $(ratio "$m" "$f")x), ffmpeg -re $r ms (ratio $(ratio "$m" "$r")x)"
u=$(med "${whole_u[@]}")
echo "whole process, median CPU per frame: miniav-publish -unpaced $u ms (ratio to ffmpeg $(ratio "$u" "$f")x)"
m=$(med "${steady_m[@]}"); f=$(med "${steady_f[@]}"); r=$(med "${steady_r[@]}")
echo "steady state (short run subtracted), median CPU per frame: miniav-publish $m ms, ffmpeg $f ms (ratio $(ratio "$m" "$f")x), ffmpeg -re $r ms (ratio $(ratio "$m" "$r")x)"
u=$(med "${steady_u[@]}")
echo "steady state, median CPU per frame: miniav-publish -unpaced $u ms (ratio to ffmpeg $(ratio "$u" "$f")x)"
p=$(med "${steady_p[@]}")
echo "steady state, median CPU per frame: miniav-publish -unpaced on one CPU (taskset -c 0) $p ms (ratio to ffmpeg $(ratio "$p" "$f")x)"
pairs
pairs paced
