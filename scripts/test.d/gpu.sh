#!/usr/bin/env bash
# The gpu module (its own go.mod: wgpu-native through cogentcore/webgpu,
# cgo): vet, then its tests with -race on Mesa's lavapipe (Vulkan on the
# CPU; mesa-vulkan-drivers and libvulkan1 come from install-deps.sh). The
# loader is pointed at lavapipe's ICD only, and with CI=true the tests fail
# if no llvmpipe adapter is found instead of skipping. TestX11Frames and
# TestHostImportX11 start their own Xvfb. The host-import path (raw Vulkan,
# cgo) needs the Vulkan headers to build (libvulkan-dev) and its SPIR-V
# check glslangValidator (glslang-tools); its tests (TestHostImport*,
# TestSPIRVMatchesSource) run in the same go test below.
set -euo pipefail
cd "$(dirname "$0")/../../gpu"
export PATH=$PATH:/usr/local/go/bin

icd=$(ls /usr/share/vulkan/icd.d/lvp_icd.*.json 2>/dev/null | head -n1 || true)
if [ -z "$icd" ]; then
	[ "${CI:-}" = true ] && { echo "gpu: no lavapipe ICD (mesa-vulkan-drivers)"; exit 1; }
	echo "gpu: skipping, no lavapipe ICD (mesa-vulkan-drivers)"; exit 0
fi
if [ ! -f /usr/include/vulkan/vulkan.h ]; then
	[ "${CI:-}" = true ] && { echo "gpu: no Vulkan headers (libvulkan-dev)"; exit 1; }
	echo "gpu: skipping, no Vulkan headers (libvulkan-dev)"; exit 0
fi
export VK_ICD_FILENAMES=$icd
# wgpu's Vulkan loader warns without it; a private one keeps the log clean.
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
chmod 700 "$XDG_RUNTIME_DIR"
go mod download
go vet ./...
go test -race -count=1 -timeout 10m ./...
# The raw-Vulkan host-import path once more under the Khronos validation
# layer (it reports to the test binary's stdout): any validation error fails.
if [ -f /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json ]; then
	bin=$(mktemp -d)/gpu.test
	go test -c -o "$bin" .
	log=$(VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation "$bin" -test.count=1 -test.run 'HostImport|X11' 2>&1) || { echo "$log"; exit 1; }
	if grep -q "Validation Error" <<<"$log"; then
		grep -A3 "Validation Error" <<<"$log" | head -40
		exit 1
	fi
	echo "gpu: host-import tests clean under VK_LAYER_KHRONOS_validation"
	rm -rf "$(dirname "$bin")"
elif [ "${CI:-}" = true ]; then
	echo "gpu: no Vulkan validation layer (vulkan-validationlayers)"; exit 1
fi
