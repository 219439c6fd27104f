#!/usr/bin/env bash
# Audio capture CPU: miniav's malgo and pure-Go pulse backends against parec, 48 kHz stereo s16
# from the monitor of a null sink on one private PulseAudio daemon, in one
# run. Each tool runs as its own process for SECS (20) seconds; reported are
# the process's CPU (getrusage) and the daemon's CPU (/proc) per minute of
# audio, medians of ROUNDS (1) alternating rounds. Installs pulseaudio and
# pulseaudio-utils if missing (as root). Usage: bench/audio.sh [-gocb]
# [-keepalive=false] [-only REGEXP] (-gocb adds rows for malgo's Go data
# callback, the fallback path; -keepalive=false stops the test server's
# keep-alive streams, so the server sends data once per client period
# instead of every 5 ms; the last row is a Go process woken by a pipe, with
# no audio, for reference).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
need=()
command -v pulseaudio >/dev/null || need+=(pulseaudio)
command -v parec >/dev/null || need+=(pulseaudio-utils)
if [ ${#need[@]} -gt 0 ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
go build -o /tmp/miniav-bench-audio ./bench/audio
/tmp/miniav-bench-audio -secs "${SECS:-20}" -rounds "${ROUNDS:-1}" "$@"
