//go:build cgo

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/miniav-go/miniav/internal/testenv"
)

// TestCClientUnderWine builds the C ABI as miniav.dll with mingw-w64, the C
// client as client.exe linked against it, and runs the client under Wine
// against testsrc and the cabitest backend: the same checks TestCClient
// makes on Linux, on the Windows build. It runs in scripts/test.d/wine.sh,
// which prepares the Wine prefix (MINIAV_WINE, WINEPREFIX).
func TestCClientUnderWine(t *testing.T) {
	if os.Getenv("MINIAV_WINE") == "" || os.Getenv("WINEPREFIX") == "" {
		t.Skip("skipping: runs in scripts/test.d/wine.sh, which prepares Wine (MINIAV_WINE, WINEPREFIX)")
	}
	wine := testenv.LookPath(t, "wine")
	cc := testenv.LookPath(t, "x86_64-w64-mingw32-gcc-posix")
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	dll := filepath.Join(dir, "miniav.dll")
	build := exec.CommandContext(ctx, filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-buildmode=c-shared", "-tags", "miniav_cabitest", "-o", dll, ".")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=1", "CC="+cc,
		"CXX=x86_64-w64-mingw32-g++-posix", "CGO_CFLAGS=-w", "CGO_CXXFLAGS=-w")
	run(t, build)
	client := filepath.Join(dir, "client.exe")
	run(t, exec.CommandContext(ctx, cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", ".",
		filepath.Join("testdata", "client.c"), dll, "-lm", "-pthread", "-o", client))
	// The mingw runtime DLLs the library and client load, beside them.
	libgcc, err := exec.Command(cc, "-print-libgcc-file-name").Output()
	if err != nil {
		t.Fatal(err)
	}
	gccdir := filepath.Dir(strings.TrimSpace(string(libgcc)))
	for _, f := range []string{filepath.Join(gccdir, "libgcc_s_seh-1.dll"), filepath.Join(gccdir, "libstdc++-6.dll"), "/usr/x86_64-w64-mingw32/lib/libwinpthread-1.dll"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	cmd := exec.CommandContext(ctx, wine, client)
	cmd.Dir = dir
	// Windows paths for the client: Wine maps / to Z:.
	devices := `Z:` + strings.ReplaceAll(filepath.Join(dir, "devices"), "/", `\`)
	cmd.Env = append(append(os.Environ(), patternEnv()...), "MINIAV_CABITEST_DEVICES="+devices)
	out := run(t, cmd)
	if !strings.Contains(out, "PASS") {
		t.Fatalf("C client under Wine did not pass:\n%s", out)
	}
	t.Log(lastLine(out))
}
