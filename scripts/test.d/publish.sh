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

# The livekit-client browser SDK for Chromium's LiveKit subscriber
# (examples/livekit-viewer), pinned in internal/lkjs/package-lock.json and
# installed once with npm into a cache outside the repository.
jsver=$(sed -n 's/^const Version = "\(.*\)"$/\1/p' internal/lkjs/lkjs.go)
jsdir=${XDG_CACHE_HOME:-$HOME/.cache}/miniav-npm/livekit-client-$jsver
jsbundle=$jsdir/node_modules/livekit-client/dist/livekit-client.umd.js
if [ ! -s "$jsbundle" ] || ! cmp -s internal/lkjs/package-lock.json "$jsdir/package-lock.json"; then
	if command -v npm >/dev/null; then
		echo "publish: installing livekit-client $jsver into $jsdir"
		mkdir -p "$jsdir"
		cp internal/lkjs/package.json internal/lkjs/package-lock.json "$jsdir/"
		(cd "$jsdir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
	else
		[ "${CI:-}" = true ] && { echo "publish: npm is not installed (Debian's nodejs package has it)"; exit 1; }
		echo "publish: no npm; the LiveKit browser test will skip"
	fi
fi
export MINIAV_LIVEKIT_CLIENT=$jsbundle

if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	# Modules are cached above; nothing is fetched inside the namespaces.
	# The browser preview runs where only loopback is up (Chromium gathers
	# ICE candidates on every interface, and tries its own background
	# requests, which fail there). The rest, LiveKit included, gets
	# a veth pair besides, whose ends both stay in its namespace: LiveKit's
	# Go client SDK gathers no loopback ICE candidates, and packets to an
	# address of the pair never leave the namespace.
	# The LiveKit viewer's Chromium test joins the second group: LiveKit's
	# Go publisher needs the veth pair there.
	unshare -n bash -c 'ip link set lo up &&
		GOPROXY=off GOFLAGS=-mod=mod go test -race -count=1 -timeout 5m "$@"' _ $(go list ./examples/... | grep -v /livekit-viewer)
	pkgs=$(go list ./... | grep -v /examples/ ; go list ./examples/livekit-viewer)
	unshare -n bash -c 'ip link set lo up &&
		ip link add mxv0 type veth peer name mxv1 &&
		ip addr add 10.213.0.1/24 dev mxv0 && ip link set mxv0 up && ip link set mxv1 up &&
		GOPROXY=off GOFLAGS=-mod=mod go test -race -count=1 -timeout 8m "$@"' _ $pkgs
else
	[ "${CI:-}" = true ] && { echo "publish: need root and unshare for the loopback-only namespace"; exit 1; }
	go test -race -count=1 -timeout 5m ./...
fi
