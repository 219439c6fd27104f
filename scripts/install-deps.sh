#!/usr/bin/env bash
# Installs the Debian packages miniav's tests need: the real components the
# backends are tested against (Xvfb, PulseAudio, qemu + a Debian kernel for
# the vivid V4L2 driver, Chromium). Run as root on Debian; packages already
# installed are skipped, so a second run costs only `apt-get update`.
set -euo pipefail

pkgs=(
	xvfb                                  # X11 backend tests
	pulseaudio pulseaudio-utils sox       # audio backend tests (daemon, paplay/pacat, tone WAVs)
	qemu-system-x86 busybox-static cpio kmod xz-utils  # V4L2 tests in a VM with vivid
	make binutils                         # v4l2loopback built for the VM's kernel (MJPEG on a real V4L2 node)
	libturbojpeg0                         # MJPEG decoding: internal/jpegdec loads TurboJPEG at run time
	chromium                              # browser tests (examples, wasm)
	gcc libc6-dev                         # cgo (miniaudio, pion/mediadevices, the C ABI and its C test client)
	pkg-config libx11-dev libxext-dev     # pion/mediadevices' X11 screen driver (-tags miniav_pionx11)
	gcc-mingw-w64-x86-64-posix g++-mingw-w64-x86-64-posix  # the Windows build with cgo (miniaudio, DirectShow, the C ABI)
	python3                               # the C ABI's Python ctypes client
	cmake                                 # cabi/miniavc/miniav_c: the CMake folder MiniAV's Dart package builds
	ffmpeg                                # the command's pipe tests: ffprobe and ffmpeg read "miniav capture -o -"
	libvpx-dev iproute2                   # publish/: VP8 through libvpx (cgo); ip for its loopback-only network namespace
	libopus-dev libx264-dev               # publish/: Opus (libopus) and H.264 (x264) through pion/mediadevices (cgo)
	redis-server                          # publish/: the Redis that joins two LiveKit nodes into one cluster
	nodejs                                # publish/: npm installs the livekit-client browser SDK (this machine's nodejs carries npm)
	wine wine64                           # the Windows build's tests, run under Wine (scripts/test.d/wine.sh)
	mesa-vulkan-drivers libvulkan1        # gpu/: Mesa's lavapipe (Vulkan on the CPU) and the Vulkan loader wgpu-native dlopens
	vulkan-validationlayers               # gpu/: scripts/test.d/gpu.sh reruns the host-import tests under VK_LAYER_KHRONOS_validation
	libvulkan-dev glslang-tools           # gpu/: Vulkan headers for the host-import path (cgo; it dlopens libvulkan.so.1) and glslangValidator, which checks the committed SPIR-V against its GLSL source
	pipewire pipewire-bin wireplumber libspa-0.2-modules libpipewire-0.3-modules sway swaybg foot xdg-desktop-portal xdg-desktop-portal-wlr dbus dbus-user-session gstreamer1.0-pipewire gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good pipewire-pulse  # backend/pipewire: the headless session of scripts/pipewire/session.sh (foot repaints, gst publishes a camera node; pipewire-pulse: internal/pulse with MINIAV_PULSE_SERVER=pipewire)
	libpipewire-0.3-dev libspa-0.2-dev    # backend/pipewire's cgo client of libpipewire-0.3
	xdg-desktop-portal-gtk                # backend/pipewire: the Access backend without which xdg-desktop-portal offers no Camera portal
)
pkgs+=("$@")

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "$(id -u)" != 0 ]; then
	if [ ${#missing[@]} -gt 0 ]; then
		echo "install-deps: not root, cannot install: ${missing[*]} (tests needing them will skip outside CI)" >&2
	fi
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
