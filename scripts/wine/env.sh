# Sourced by the Wine test step: wine_prepare makes (or reuses) a cached Wine
# prefix holding the bcryptprimitives shim every Go .exe needs on Wine 8, and
# exports WINEPREFIX, WINEDLLOVERRIDES and WINEDEBUG for the caller.
#
# The prefix lives outside the repository, under $XDG_CACHE_HOME (or
# ~/.cache)/miniav-wine/<wine version>-<hash of the shim's source>, so a
# second run costs nothing and a change of Wine or of the shim makes a new one.

wine_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

wine_prepare() {
	command -v wine >/dev/null || { echo "wine: not installed (apt-get install wine wine64)" >&2; return 1; }
	local cc=x86_64-w64-mingw32-gcc-posix
	command -v "$cc" >/dev/null || { echo "wine: no $cc to build the ProcessPrng shim" >&2; return 1; }
	local ver hash cache
	ver=$(wine --version 2>/dev/null | tr -c 'A-Za-z0-9.\n-' _)
	hash=$(cat "$wine_dir/bcryptprimitives.c" "$wine_dir/bcryptprimitives.def" | sha256sum | cut -c1-12)
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/miniav-wine
	export WINEPREFIX=$cache/$ver-$hash
	export WINEDEBUG=-all
	# No Mono or Gecko installers (they would download), and the shim.
	export WINEDLLOVERRIDES="mscoree,mshtml=;bcryptprimitives=n"
	if [ -f "$WINEPREFIX/.miniav-ready" ]; then
		return 0
	fi
	rm -rf "$WINEPREFIX"
	mkdir -p "$cache"
	local t0=$SECONDS
	wineboot -i >/dev/null 2>&1 || { echo "wine: wineboot -i failed for $WINEPREFIX" >&2; return 1; }
	wineserver -w
	"$cc" -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
		"$wine_dir/bcryptprimitives.c" "$wine_dir/bcryptprimitives.def" -ladvapi32 ||
		{ echo "wine: building the ProcessPrng shim failed" >&2; return 1; }
	touch "$WINEPREFIX/.miniav-ready"
	echo "wine: prepared $WINEPREFIX in $((SECONDS - t0)) s"
}
