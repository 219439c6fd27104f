#!/usr/bin/env bash
# The pipewire backend and the ScreenCast portal client against a real
# headless session: sway (headless, pixman), pipewire, wireplumber,
# xdg-desktop-portal-wlr and xdg-desktop-portal on a private runtime dir and
# session bus (scripts/pipewire/session.sh). The script starts the session,
# exports its environment (HEADLESS_SESSION_DIR makes internal/wlsession use
# it instead of starting one per package) and runs the tests with -race,
# then once more without cgo. With CI=true a missing component fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=$PATH:/usr/local/go/bin

dir=$(mktemp -d -t miniav-pw.XXXXXX)
chmod 755 "$dir" # sway runs as an unprivileged user when we are root
trap 'bash scripts/pipewire/session.sh stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
t0=$(date +%s.%N)
if env=$(bash scripts/pipewire/session.sh start "$dir"); then
	eval "$env"
	echo "pipewire: headless session up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}') s"
else
	echo "pipewire: the headless session did not start (the tests will skip, or fail with CI=true); logs:" >&2
	tail -n 20 "$dir"/logs/*.log >&2 || true
fi
# -p 1: the packages share the one session.
go test -race -count=1 -p 1 -timeout 10m ./internal/portal/... ./internal/wlsession/... ./backend/pipewire/...
CGO_ENABLED=0 go test -count=1 ./backend/pipewire/...
