#!/usr/bin/env bash
# The Windows build's tests, run for real under Wine: each package's test
# binary is built with GOOS=windows (cgo ones with mingw-w64) and run under
# wine, with a private Xvfb for Wine's desktop (GDI) and a private
# PulseAudio that Wine's WASAPI reaches through winepulse. A 440 Hz tone
# loops into the null sink "winesink", so WASAPI capture of its monitor is
# checked against a known frequency. Then the C ABI's miniav.dll and its C
# client (mingw) run against testsrc under wine (cabi's TestCClientUnderWine).
# backend/gdi's tests paint a Win32 window of known colours on Wine's
# desktop and capture it; backend/all, built with cgo, checks that the
# default display is gdi's, not pion's screen driver's.
# Results print like go test's: "ok  <pkg> <time>" or the output and FAIL.
# With CI=true a missing Wine, Xvfb or PulseAudio fails the step.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=$PATH:/usr/local/go/bin
source scripts/wine/env.sh

missing() {
	if [ "${CI:-}" = true ]; then echo "wine.sh: CI=true and $1" >&2; exit 1; fi
	echo "wine.sh: skipping the Windows tests under Wine: $1"; exit 0
}
command -v wine >/dev/null || missing "wine is not installed (apt-get install wine wine64)"
command -v Xvfb >/dev/null || missing "Xvfb is not installed"
command -v pulseaudio >/dev/null || missing "pulseaudio is not installed"
command -v x86_64-w64-mingw32-gcc-posix >/dev/null || missing "mingw-w64 is not installed"
wine_prepare || missing "the Wine prefix could not be prepared"

work=$(mktemp -d /tmp/miniav-wine.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	# A PulseAudio the watcher restarted is its child, not ours.
	pkill -KILL -f "socket=$work/pulse/native" 2>/dev/null || true
	wineserver -k 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# Wine's desktop: a private X server.
size=${MINIAV_WINE_SIZE:-1280x720}
disp=
for n in $(seq 70 99); do
	[ -e /tmp/.X11-unix/X$n ] || [ -e /tmp/.X$n-lock ] || { disp=$n; break; }
done
[ -n "$disp" ] || { echo "wine.sh: no free X display" >&2; exit 1; }
Xvfb ":$disp" -screen 0 "${size}x24" -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=:$disp
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$disp" ] && break; sleep 0.05; done

# The audio server Wine's WASAPI talks to, with a looping 440 Hz tone.
export PULSE_RUNTIME_PATH=$work/pulse
export PULSE_SERVER=unix:$PULSE_RUNTIME_PATH/native
mkdir -p "$PULSE_RUNTIME_PATH"
start_pulse() {
	pulseaudio --daemonize=no --exit-idle-time=-1 --disallow-exit -n --use-pid-file=no \
		--log-target=stderr --log-level=error \
		"--load=module-native-protocol-unix auth-anonymous=1 socket=$PULSE_RUNTIME_PATH/native" \
		"--load=module-null-sink sink_name=winesink rate=48000 sink_properties=device.description=WineSink" \
		"--load=module-null-sink sink_name=micsink rate=48000 sink_properties=device.description=MicSink" \
		>>"$work/pulse.log" 2>&1 &
	pulsepid=$!
	for _ in $(seq 100); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
	pactl info >/dev/null || { cat "$work/pulse.log"; echo "wine.sh: PulseAudio did not start" >&2; return 1; }
	pactl set-default-sink winesink
	pactl set-default-source micsink.monitor
}
start_pulse
# One continuous tone (a looped file would click at every restart); a new
# one starts if the server was restarted.
(while :; do
	sox -q -n -r 48000 -c 2 -b 16 -e signed-integer -t raw - synth 36000 sine 440 gain -6 |
		pacat --device=winesink --raw --rate=48000 --channels=2 --format=s16le --latency-msec=50 --client-name=tone
	sleep 0.2
done) >/dev/null 2>&1 &
pids+=($!)
# The Windows side cannot signal a Linux process: a test that needs the
# server killed creates $ctl/kill-pulse; it is killed, and started again
# (and $ctl/pulse-up reappears) once the test removes that file.
ctl=$work/control
mkdir -p "$ctl"
touch "$ctl/pulse-up"
(
	while :; do
		if [ -e "$ctl/kill-pulse" ]; then
			rm -f "$ctl/pulse-up"
			kill -KILL "$pulsepid" 2>/dev/null || true
			while kill -0 "$pulsepid" 2>/dev/null; do sleep 0.05; done
			while [ -e "$ctl/kill-pulse" ]; do sleep 0.1; done
			start_pulse && touch "$ctl/pulse-up"
		fi
		sleep 0.1
	done
) &
pids+=($!)
pids+=($pulsepid)
export MINIAV_WINE=1 MINIAV_WINE_TONE=440 MINIAV_WINE_SIZE=$size
export MINIAV_WINE_CONTROL=$(winepath -w "$ctl" 2>/dev/null)

# Wine's boot of the prefix for this session (explorer, the desktop) before
# the first timed test.
wine cmd /c exit >/dev/null 2>&1 || true

# Does this platform's WASAPI do loopback capture at all? (Wine 8: no.)
x86_64-w64-mingw32-gcc-posix -O2 -o "$work/wasapi-loopback.exe" scripts/wine/wasapi-loopback.c -lole32
probe=$(wine "$work/wasapi-loopback.exe" 2>/dev/null | tr -d '\r' | grep '^loopback:' || true)
echo "wasapi-loopback: ${probe:-no answer}"
export MINIAV_WINE_LOOPBACK=${probe#loopback: }

mingwlib=$(dirname "$(x86_64-w64-mingw32-gcc-posix -print-libgcc-file-name)")
rtdlls=("$mingwlib/libgcc_s_seh-1.dll" "$mingwlib/libstdc++-6.dll" /usr/x86_64-w64-mingw32/lib/libwinpthread-1.dll)
cgo=(CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc-posix CXX=x86_64-w64-mingw32-g++-posix CGO_CFLAGS=-w CGO_CXXFLAGS=-w)

# package [cgo] [-test.run filter]
tests=(
	". nocgo"
	"./backend nocgo"
	"./backend/testsrc nocgo"
	"./backend/backendtest nocgo"
	"./format nocgo"
	"./pool nocgo"
	"./metrics nocgo"
	"./devices nocgo"
	"./internal/testenv nocgo"
	"./internal/jpegdec nocgo"
	"./cmd/miniav nocgo"
	"./backend/gdi nocgo"
	"./backend/all nocgo"
	"./backend/all cgo ^(TestRegistersEveryBackend|TestDefaultDisplayIsGDI)$"
	"./backend/malgo cgo ^(TestCallbackAllocs|TestHandoff|TestRing|TestNull|TestNullBackendValue|TestWASAPI.*)$"
	"./backend/mediadevices cgo"
)
[ -n "${MINIAV_WINE_EXTRA:-}" ] && tests+=("$MINIAV_WINE_EXTRA")

fails=0
for entry in "${tests[@]}"; do
	read -r pkg mode run <<<"$entry"
	name=$(echo "${pkg#./}" | tr / _)
	[ "$name" = . ] && name=miniav
	dir=$work/$name
	mkdir -p "$dir"
	env=(GOOS=windows GOARCH=amd64 CGO_ENABLED=0)
	[ "$mode" = cgo ] && env=(GOOS=windows GOARCH=amd64 "${cgo[@]}")
	if ! env "${env[@]}" go test -c -o "$dir/test.exe" "$pkg" >"$dir/build.log" 2>&1; then
		cat "$dir/build.log"; echo "FAIL	$pkg [build failed]"; fails=$((fails + 1)); continue
	fi
	[ "$mode" = cgo ] && cp "${rtdlls[@]}" "$dir/"
	t0=$EPOCHREALTIME
	set +e
	(cd "$(go list -f '{{.Dir}}' "$pkg")" && timeout 300 wine "$dir/test.exe" -test.count=1 -test.timeout=240s ${run:+-test.run "$run"} ${MINIAV_WINE_V:+-test.v}) >"$dir/out.log" 2>&1
	rc=$?
	set -e
	dt=$(awk "BEGIN{print $EPOCHREALTIME - $t0}")
	if [ $rc = 0 ] && grep -q '^PASS' "$dir/out.log"; then
		printf 'ok  \t%s\t%.1fs (windows/amd64 under %s)\n' "$(go list "$pkg")" "$dt" "$(wine --version)"
	else
		cat "$dir/out.log"; printf 'FAIL\t%s (windows/amd64 under wine, rc %d)\n' "$(go list "$pkg")" "$rc"; fails=$((fails + 1))
	fi
done

echo "== cabi: miniav.dll and its C client (mingw) under wine"
if ! go test -count=1 -v -run '^TestCClientUnderWine$' ./cabi; then fails=$((fails + 1)); fi

[ $fails = 0 ] || { echo "wine.sh: $fails failed"; exit 1; }
