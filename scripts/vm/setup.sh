#!/usr/bin/env bash
# Prepares a Debian machine for scripts/vm/exec: installs qemu, a static
# busybox and the tools that unpack a kernel (as root, after apt-get update,
# which is skipped if done within the hour),
# then downloads the kernel package that linux-image-amd64 depends on and
# builds the cached VM artifacts (once per kernel version; later runs only
# check the cache). Not root: installs nothing, still builds the cache if
# the tools are there. Exits non-zero if the VM cannot run; the tests then
# skip (or fail with CI=true) with the reason.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

# make, gcc and binutils build v4l2loopback against the VM kernel's headers.
pkgs=(qemu-system-x86 busybox-static cpio kmod xz-utils make gcc binutils)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "$(id -u)" = 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	# apt-get update costs about 5 s: at most once an hour unless something
	# is missing (the kernel package name changes only with the archive).
	stamp=$vm_cache_root/apt-updated
	if [ ${#missing[@]} -gt 0 ] || [ -z "$(find "$stamp" -mmin -60 2>/dev/null)" ]; then
		apt-get update -qq
		mkdir -p "$vm_cache_root" && touch "$stamp"
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		vm_log "installing ${missing[*]}"
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
elif [ ${#missing[@]} -gt 0 ]; then
	vm_log "not root, cannot install: ${missing[*]}"
	exit 1
fi

"$vm_dir/exec" --prepare >/dev/null
