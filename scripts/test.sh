#!/usr/bin/env bash
# The one command that runs every miniav test on a fresh Debian machine:
# it installs what the tests need (as root), then runs
#   1. go vet and a build for linux, darwin, windows and js/wasm;
#   2. go test -race ./... (unit tests, Xvfb, PulseAudio, Chromium tests);
#   3. the V4L2 tests inside a qemu VM running the kernel's vivid driver.
# With CI=true a test whose component is missing fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin

bash scripts/install-deps.sh

echo "== go vet"
go vet ./...
GOOS=js GOARCH=wasm go vet ./...

echo "== cross builds"
for target in darwin/amd64 darwin/arm64 windows/amd64 js/wasm linux/arm64; do
	GOOS=${target%/*} GOARCH=${target#*/} CGO_ENABLED=0 go build ./... || { echo "build failed for $target"; exit 1; }
	echo "ok $target"
done

echo "== go test -race ./..."
go test -race -count=1 -timeout 20m ./...

for step in scripts/test.d/*.sh; do
	[ -e "$step" ] || continue
	echo "== $step"
	bash "$step"
done
