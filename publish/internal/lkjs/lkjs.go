// Package lkjs finds the livekit-client JavaScript SDK that the publish
// module's browser test and examples/livekit-viewer serve to Chromium: the
// npm package's prebuilt, self-contained UMD bundle (it defines the global
// LivekitClient), so no bundler runs and no page loads anything from a CDN.
//
// The version is pinned exactly in this directory's package.json and
// package-lock.json. scripts/test.d/publish.sh installs it once, outside
// the repository, with
//
//	npm ci --ignore-scripts   # in $XDG_CACHE_HOME/miniav-npm/livekit-client-<Version>
//
// and MINIAV_LIVEKIT_CLIENT names another copy of the bundle.
package lkjs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/miniav-go/miniav/internal/testenv"
)

// Version is the livekit-client release, as package.json pins it.
const Version = "2.23.0"

// CacheDir is where scripts/test.d/publish.sh installs the package:
// $XDG_CACHE_HOME/miniav-npm/livekit-client-<Version>, XDG_CACHE_HOME
// defaulting to ~/.cache.
func CacheDir() string {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "miniav-npm", "livekit-client-"+Version)
}

// Bundle returns the path of the UMD bundle: MINIAV_LIVEKIT_CLIENT, else
// the one under CacheDir. The file need not exist.
func Bundle() string {
	if p := os.Getenv("MINIAV_LIVEKIT_CLIENT"); p != "" {
		return p
	}
	return filepath.Join(CacheDir(), "node_modules", "livekit-client", "dist", "livekit-client.umd.js")
}

// Need returns Bundle's path, or skips t (fails it with CI=true) when the
// bundle is not installed.
func Need(t testing.TB) string {
	t.Helper()
	p := Bundle()
	if st, err := os.Stat(p); err != nil || st.Size() == 0 {
		testenv.Missing(t, "livekit-client %s is not installed at %s (scripts/test.d/publish.sh installs it with npm)", Version, p)
	}
	return p
}
