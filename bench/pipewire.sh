#!/usr/bin/env bash
# PipeWire screen capture CPU per frame: miniav's pipewire backend (channel
# and pull streams) against GStreamer's pipewiresrc on the same ScreenCast
# portal node of a private headless session (see bench/pipewire/main.go),
# capped at 30 fps and uncapped. Needs the packages of scripts/install-deps.sh
# (the headless session, gstreamer1.0-pipewire).
# Usage: [SECS=5] [ROUNDS=3] bench/pipewire.sh
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o /tmp/miniav-bench-pipewire ./bench/pipewire
/tmp/miniav-bench-pipewire -secs "${SECS:-5}" -rounds "${ROUNDS:-3}"
line=$(go test -count=1 -run 'TestSteadyStateAllocs' -v ./backend/pipewire/ 2>/dev/null | grep 'allocations and' || true)
allocs=$(echo "$line" | sed -n 's/.*: \([0-9.]*\) allocations and.*/\1/p')
cgo=$(echo "$line" | sed -n 's/.* and \([0-9.]*\) cgo calls per frame.*/\1/p')
echo "miniav per frame (backend/pipewire TestSteadyStateAllocs, MemFd buffers): ${allocs:-?} allocations, ${cgo:-?} cgo calls"
