#!/usr/bin/env bash
# The publish module (WebRTC, its own go.mod: pion/webrtc and libvpx stay
# out of the main module): vet, then its tests with -race inside a network
# namespace whose only interface is loopback, so that neither pion nor
# headless Chromium can gather or send anything off the host. Chromium's
# test needs that namespace and fails outside it with CI=true.
set -euo pipefail
cd "$(dirname "$0")/../../publish"
export PATH=$PATH:/usr/local/go/bin

if ! pkg-config --exists vpx opus x264 2>/dev/null; then
	[ "${CI:-}" = true ] && { echo "publish: pkg-config finds no vpx, opus or x264 (libvpx-dev, libopus-dev, libx264-dev)"; exit 1; }
	echo "publish: skipping, no libvpx-dev, libopus-dev or libx264-dev"; exit 0
fi
go mod download
go vet ./...

# The LiveKit SFU the tests start (publish/internal/lktest), built once
# into a cache outside the repository, before the network goes away.
lkver=v1.9.11
lkdir=${XDG_CACHE_HOME:-$HOME/.cache}/miniav-livekit/$lkver
if [ ! -x "$lkdir/server" ]; then
	echo "publish: building livekit-server $lkver into $lkdir (about 2 minutes the first time)"
	start=$SECONDS
	(cd / && GOBIN=$lkdir go install "github.com/livekit/livekit-server/cmd/server@$lkver")
	echo "publish: livekit-server built in $((SECONDS - start)) s"
fi
export MINIAV_LIVEKIT_SERVER=$lkdir/server

if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	# Modules are cached above; nothing is fetched inside the namespaces.
	# The browser preview runs where only loopback is up (Chromium gathers
	# ICE candidates on every interface). The rest, LiveKit included, gets
	# a veth pair besides, whose ends both stay in its namespace: LiveKit's
	# Go client SDK gathers no loopback ICE candidates, and packets to an
	# address of the pair never leave the namespace.
	unshare -n bash -c 'ip link set lo up &&
		GOPROXY=off GOFLAGS=-mod=mod go test -race -count=1 -timeout 5m ./examples/...'
	pkgs=$(go list ./... | grep -v /examples/)
	unshare -n bash -c 'ip link set lo up &&
		ip link add mxv0 type veth peer name mxv1 &&
		ip addr add 10.213.0.1/24 dev mxv0 && ip link set mxv0 up && ip link set mxv1 up &&
		GOPROXY=off GOFLAGS=-mod=mod go test -race -count=1 -timeout 8m "$@"' _ $pkgs
else
	[ "${CI:-}" = true ] && { echo "publish: need root and unshare for the loopback-only namespace"; exit 1; }
	go test -race -count=1 -timeout 5m ./...
fi
