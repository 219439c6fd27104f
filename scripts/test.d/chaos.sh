#!/usr/bin/env bash
# The chaos run (internal/chaos, build tag chaos): streams on testsrc, x11
# (Xvfb) and pulse and malgo (a private PulseAudio) opened, read, held,
# released, cancelled and closed by many goroutines while Xvfb and the
# audio daemon are SIGKILLed and restarted; at the end nothing may be
# leaked and every error must match a sentinel. CHAOS_DURATION (default
# 60s) sets how long faults are injected, CHAOS_REPORT=path writes the
# figures; -chaos.seed replays a run's decisions (see RELIABILITY.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=$PATH:/usr/local/go/bin

go vet -tags chaos ./internal/chaos
go test -race -tags chaos -count=1 -timeout "${CHAOS_TIMEOUT:-30m}" -v -run '^TestChaos$' ./internal/chaos
