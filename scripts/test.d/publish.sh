#!/usr/bin/env bash
# The publish module (WebRTC, its own go.mod: pion/webrtc and libvpx stay
# out of the main module): vet, then its tests with -race inside a network
# namespace whose only interface is loopback, so that neither pion nor
# headless Chromium can gather or send anything off the host. Chromium's
# test needs that namespace and fails outside it with CI=true.
set -euo pipefail
cd "$(dirname "$0")/../../publish"
export PATH=$PATH:/usr/local/go/bin

if ! pkg-config --exists vpx 2>/dev/null; then
	[ "${CI:-}" = true ] && { echo "publish: pkg-config finds no vpx (libvpx-dev)"; exit 1; }
	echo "publish: skipping, no libvpx-dev"; exit 0
fi
go mod download
go vet ./...
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	# Modules are cached above; nothing is fetched inside the namespace.
	unshare -n bash -c 'ip link set lo up && GOPROXY=off GOFLAGS=-mod=mod go test -race -count=1 -timeout 5m ./...'
else
	[ "${CI:-}" = true ] && { echo "publish: need root and unshare for the loopback-only namespace"; exit 1; }
	go test -race -count=1 -timeout 5m ./...
fi
