package lkjs

import (
	"encoding/json"
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// package.json pins exactly Version, and the lock file resolves it to
// Version, so that the npm install and the Go side agree.
func TestPinned(t *testing.T) {
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	readJSON(t, "package.json", &pkg)
	if v := pkg.Dependencies["livekit-client"]; v != Version {
		t.Errorf("package.json pins livekit-client %q, want exactly %q", v, Version)
	}
	var lock struct {
		Packages map[string]struct {
			Version   string `json:"version"`
			Integrity string `json:"integrity"`
		} `json:"packages"`
	}
	readJSON(t, "package-lock.json", &lock)
	p := lock.Packages["node_modules/livekit-client"]
	if p.Version != Version || p.Integrity == "" {
		t.Errorf("package-lock.json has livekit-client %q (integrity %q), want %q with its hash", p.Version, p.Integrity, Version)
	}
}

// MINIAV_LIVEKIT_CLIENT overrides the cache directory, which follows
// XDG_CACHE_HOME.
func TestBundle(t *testing.T) {
	t.Setenv("MINIAV_LIVEKIT_CLIENT", "/nonexistent/livekit-client.umd.js")
	if got := Bundle(); got != "/nonexistent/livekit-client.umd.js" {
		t.Fatalf("Bundle() = %q with MINIAV_LIVEKIT_CLIENT set", got)
	}
	t.Setenv("MINIAV_LIVEKIT_CLIENT", "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	if got, want := Bundle(), "/cache/miniav-npm/livekit-client-"+Version+"/node_modules/livekit-client/dist/livekit-client.umd.js"; got != want {
		t.Fatalf("Bundle() = %q, want %q", got, want)
	}
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}
