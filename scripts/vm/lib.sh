# shellcheck shell=bash
# Shared by scripts/vm/exec and scripts/vm/setup.sh: where the kernel
# artifacts live and how they are built. Sourced, not executed.
#
# Cache layout ($VMTEST_CACHE, default $XDG_CACHE_HOME/miniav-vm):
#   <kver>.<format>/vmlinux        uncompressed kernel ELF, booted through its PVH entry
#   <kver>.<format>/base.cpio.gz   busybox + the modules below, padded to 4 bytes
#   <kver>.<format>/modules.order  "<top-module> <file.ko>" lines in load order
#   <kver>.<format>/package        the Debian package name and version it came from
#   <kver>.<format>/ok             written last: the directory is complete
#   <kver>.<format>/v4l2loopback.ko  built from Debian's v4l2loopback-dkms
#                                  source against the kernel's headers (tests
#                                  insmod it in the guest), or
#   <kver>.<format>/v4l2loopback.err why it could not be built

# shellcheck disable=SC2034 # used by the scripts that source this file
vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vm_cache_root=${VMTEST_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/miniav-vm}
# Bump when the artifacts' layout changes, so stale caches are not used.
vm_cache_format=1

# The top-level modules the guest may load; their dependencies come along.
vm_modules=(vivid snd-dummy snd-aloop)

vm_log() { echo "vm: $*" >&2; }
vm_debug() { [ "${VMTEST_DEBUG:-0}" = 1 ] && echo "vm: $*" >&2; return 0; }

# vm_resolve_kpkg prints the kernel package to use: $VMTEST_KPKG, else the
# dependency of the running Debian's linux-image-amd64 metapackage, else the
# package of the newest complete cache entry (apt lists unavailable).
vm_resolve_kpkg() {
	if [ -n "${VMTEST_KPKG:-}" ]; then
		echo "$VMTEST_KPKG"
		return
	fi
	# apt-cache takes 0.6 s without a pkgcache.bin (Debian images have
	# none): remember the answer until the apt lists change.
	local p key memo=$vm_cache_root/kpkg.$vm_cache_format
	key=$(ls -l --time-style=+%s /var/lib/apt/lists 2>/dev/null | cksum | cut -d' ' -f1)
	if [ -f "$memo" ] && [ "$(awk '{print $1}' "$memo")" = "$key" ]; then
		awk '{print $2}' "$memo"
		return
	fi
	p=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}')
	if [ -n "$p" ]; then
		mkdir -p "$vm_cache_root" && echo "$key $p" >"$memo.$$" && mv "$memo.$$" "$memo"
		echo "$p"
		return
	fi
	vm_cached_kpkg
}

# vm_cached_kpkg prints the package of the newest complete cache entry.
vm_cached_kpkg() {
	local d
	d=$(ls -td "$vm_cache_root"/*."$vm_cache_format"/ok 2>/dev/null | head -n 1)
	[ -n "$d" ] && awk '{print $1; exit}' "$(dirname "$d")/package"
}

# vm_prepare KPKG builds (once, under a lock) the cache entry for a kernel
# package and prints its directory.
vm_prepare() {
	local kpkg=$1 kver=${1#linux-image-}
	kver=${kver%-unsigned}
	local dir=$vm_cache_root/$kver.$vm_cache_format
	if [ -e "$dir/ok" ]; then
		echo "$dir"
		return
	fi
	mkdir -p "$vm_cache_root"
	(
		flock 9
		[ -e "$dir/ok" ] && exit 0
		vm_build "$kpkg" "$kver" "$dir"
	) 9>"$vm_cache_root/.lock" || return 1
	echo "$dir"
}

vm_build() {
	local kpkg=$1 kver=$2 dir=$3 t0=$SECONDS
	for c in apt-get dpkg depmod modprobe xz cpio gzip; do
		command -v "$c" >/dev/null || { vm_log "$c not found (run scripts/vm/setup.sh as root)"; return 1; }
	done
	local bb
	bb=$(vm_busybox) || return 1
	local tmp
	rm -rf "$vm_cache_root"/.build.* # left by a killed build (we hold the lock)
	tmp=$(mktemp -d "$vm_cache_root/.build.XXXXXX") || return 1
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	vm_log "building kernel artifacts for $kpkg in $dir (once)"
	local aptopt=()
	[ "$(id -u)" = 0 ] && aptopt=(-o APT::Sandbox::User=root)
	(cd "$tmp" && apt-get download -qq "${aptopt[@]}" "$kpkg") || { vm_log "apt-get download $kpkg failed"; return 1; }
	local deb
	deb=$(ls "$tmp"/*.deb)
	dpkg -x "$deb" "$tmp/root" || return 1
	depmod -b "$tmp/root" "$kver" || return 1

	local stage=$tmp/stage
	mkdir -p "$stage"/{bin,dev,proc,sys,tmp,modules,test}
	cp "$bb" "$stage/bin/busybox"
	ln -s busybox "$stage/bin/sh" # for /init's #!
	: >"$tmp/modules.order"
	local top line file
	for top in "${vm_modules[@]}"; do
		modprobe -d "$tmp/root" -S "$kver" --show-depends "$top" >"$tmp/deps" || { vm_log "module $top not in $kpkg"; return 1; }
		while read -r line; do
			case $line in insmod\ *) ;; *) continue ;; esac
			file=$(echo "$line" | awk '{print $2}')
			[ -e "$stage/modules/${file##*/}" ] && continue
			cp "$file" "$stage/modules/"
			echo "$top ${file##*/}" >>"$tmp/modules.order"
		done <"$tmp/deps"
	done
	cp "$tmp/modules.order" "$stage/modules/order"
	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$tmp/base.cpio.gz" || return 1
	truncate -s %4 "$tmp/base.cpio.gz" # an appended plain cpio must start 4-byte aligned

	# The bzImage's payload is XZ; decompressing it in the guest costs 2.6 s
	# under TCG, so boot the ELF vmlinux (PVH entry) instead.
	local vmlinuz off
	vmlinuz=$(ls "$tmp/root/boot"/vmlinuz-*)
	off=$(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$vmlinuz" | head -n 1 | cut -d: -f1)
	[ -n "$off" ] || { vm_log "no XZ payload in $vmlinuz"; return 1; }
	tail -c +$((off + 1)) "$vmlinuz" | xz -dc --single-stream >"$tmp/vmlinux" 2>/dev/null
	[ "$(head -c 4 "$tmp/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] || { vm_log "vmlinux extraction failed"; return 1; }

	rm -rf "$dir"
	mkdir -p "$dir"
	mv "$tmp/vmlinux" "$tmp/base.cpio.gz" "$tmp/modules.order" "$dir/"
	echo "$kpkg $(dpkg-deb -f "$deb" Version)" >"$dir/package"
	touch "$dir/ok"
	if [ -z "${VMTEST_KPKG:-}" ]; then # drop kernels apt no longer offers
		local d
		for d in "$vm_cache_root"/*."$vm_cache_format"/; do
			[ "${d%/}" = "$dir" ] || rm -rf "$d"
		done
	fi
	vm_log "kernel artifacts ready in $((SECONDS - t0)) s: $(du -sh "$dir" | cut -f1)"
}

# vm_loopback KDIR KPKG builds v4l2loopback.ko for the kernel of KPKG into
# KDIR once (under the cache lock): Debian's v4l2loopback-dkms source,
# compiled against that kernel's headers packages, downloaded and unpacked
# into a scratch tree (nothing is installed). It takes about 3 s. A failure
# is written to KDIR/v4l2loopback.err and not retried for an hour.
vm_loopback() {
	local kdir=$1 kpkg=$2 kver=${2#linux-image-}
	kver=${kver%-unsigned}
	[ -e "$kdir/v4l2loopback.ko" ] && return 0
	[ -n "$(find "$kdir/v4l2loopback.err" -mmin -60 2>/dev/null)" ] && return 1
	(
		flock 9
		[ -e "$kdir/v4l2loopback.ko" ] && exit 0
		rm -f "$kdir/v4l2loopback.err"
		vm_build_loopback "$kdir" "$kver" 2>"$kdir/v4l2loopback.log" || {
			{ echo "building v4l2loopback for $kver failed:"; tail -n 5 "$kdir/v4l2loopback.log"; } >"$kdir/v4l2loopback.err"
			exit 1
		}
		rm -f "$kdir/v4l2loopback.log"
	) 9>"$vm_cache_root/.lock"
}

vm_build_loopback() {
	local kdir=$1 kver=$2 t0=$SECONDS
	local flavour=${kver##*-} abi=${kver%-*}
	for c in apt-get dpkg make gcc-12 strip; do
		command -v "$c" >/dev/null || { echo "$c not found (run scripts/vm/setup.sh as root)" >&2; return 1; }
	done
	local tmp
	tmp=$(mktemp -d "$vm_cache_root/.loopback.XXXXXX") || return 1
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" RETURN
	local aptopt=()
	[ "$(id -u)" = 0 ] && aptopt=(-o APT::Sandbox::User=root)
	local kbuild
	kbuild=linux-kbuild-$(echo "$abi" | cut -d. -f1,2)
	(cd "$tmp" && apt-get download -qq "${aptopt[@]}" "linux-headers-$kver" "linux-headers-$abi-common" "$kbuild" v4l2loopback-dkms) >&2 || return 1
	local deb
	for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$tmp/root" || return 1; done
	local hdr=$tmp/root/usr/src/linux-headers-$kver
	# The flavour's Makefile includes the common one by its installed path.
	sed -i "s|include /usr/src/|include $tmp/root/usr/src/|" "$hdr/Makefile" || return 1
	local src
	src=$(ls -d "$tmp"/root/usr/src/v4l2loopback-*/ | head -n 1)
	[ -n "$src" ] || { echo "no v4l2loopback source in the package" >&2; return 1; }
	make -s -C "$hdr" M="${src%/}" modules >&2 || return 1
	strip --strip-debug "$src/v4l2loopback.ko" || return 1
	mv "$src/v4l2loopback.ko" "$kdir/v4l2loopback.ko.tmp" && mv "$kdir/v4l2loopback.ko.tmp" "$kdir/v4l2loopback.ko"
	vm_log "v4l2loopback for $kver ($flavour) built in $((SECONDS - t0)) s"
}

vm_busybox() {
	local b
	for b in /bin/busybox /usr/bin/busybox; do
		if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then # static: ldd fails
			echo "$b"
			return
		fi
	done
	vm_log "a static busybox is missing (apt-get install busybox-static)"
	return 1
}
