#!/usr/bin/env bash
# The one command that runs every miniav test on a fresh Debian machine:
# it installs what the tests need (as root), then runs
#   1. go vet and a build for linux, darwin, windows and js/wasm (and for
#      windows with cgo through mingw-w64);
#   2. go test -race ./... (unit tests, Xvfb, PulseAudio, Chromium tests);
#   3. the V4L2 tests inside a qemu VM running the kernel's vivid driver.
# With CI=true a test whose component is missing fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin

bash scripts/install-deps.sh

echo "== go vet"
go vet ./...
# pion/mediadevices' X11 screen driver needs libX11's headers (install-deps
# installs them as root); without them its steps skip, or fail with CI=true.
pionx11=true
if ! pkg-config --exists x11 xext 2>/dev/null; then
	[ "${CI:-}" = true ] && { echo "pkg-config finds no x11/xext (libx11-dev, libxext-dev)"; exit 1; }
	echo "skipping the miniav_pionx11 steps: no libx11-dev/libxext-dev"
	pionx11=false
fi
$pionx11 && go vet -tags miniav_pionx11 ./backend/mediadevices/
GOOS=js GOARCH=wasm go vet ./...

echo "== cross builds"
for target in darwin/amd64 darwin/arm64 windows/amd64 js/wasm linux/arm64; do
	GOOS=${target%/*} GOARCH=${target#*/} CGO_ENABLED=0 go build ./... || { echo "build failed for $target"; exit 1; }
	echo "ok $target"
done

# Windows with cgo: miniaudio, pion/mediadevices' DirectShow camera (C++)
# and the C ABI, compiled with mingw-w64 (install-deps installs it).
if command -v x86_64-w64-mingw32-gcc-posix >/dev/null; then
	win=(env GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc-posix CXX=x86_64-w64-mingw32-g++-posix CGO_CFLAGS=-w CGO_CXXFLAGS=-w)
	"${win[@]}" go build ./... || { echo "build failed for windows/amd64 with cgo"; exit 1; }
	"${win[@]}" go vet ./backend/... ./cabi/... || { echo "vet failed for windows/amd64 with cgo"; exit 1; }
	echo "ok windows/amd64 with cgo"
elif [ "${CI:-}" = true ]; then
	echo "no mingw-w64 (x86_64-w64-mingw32-gcc-posix) for the Windows cgo build"; exit 1
else
	echo "skipping the Windows cgo build: no mingw-w64"
fi

echo "== go test -race ./... (after $SECONDS s)"
t0=$SECONDS
# The packages that start a whole headless Wayland session (sway, the
# portal, pipewire) run in scripts/test.d/pipewire.sh, sharing one session;
# here, beside the audio tests' real-time reads, they would only load the
# machine a second time.
go test -race -count=1 -timeout 20m $(go list ./... | grep -v -e /backend/pipewire -e /internal/portal -e /internal/wlsession)
echo "-- go test -race ./...: $((SECONDS - t0)) s"

# pion/mediadevices' X11 screen driver (cgo, libX11) on Xvfb: a tag of its
# own, as its Rescan replaces pion's registry that the other tests use.
if $pionx11; then
	echo "== go test -race -tags miniav_pionx11 -run Screen ./backend/mediadevices/"
	go test -race -count=1 -timeout 5m -tags miniav_pionx11 -run Screen ./backend/mediadevices/
fi

for step in scripts/test.d/*.sh; do
	[ -e "$step" ] || continue
	echo "== $step"
	t0=$SECONDS
	bash "$step"
	echo "-- $step: $((SECONDS - t0)) s"
done
echo "== all tests passed in $SECONDS s"
