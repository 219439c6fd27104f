//go:build cgo

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/internal/cshared"
	"github.com/miniav-go/miniav/internal/testenv"
)

// The library is built once per test binary, with -tags miniav_cabitest
// (which adds the "cabitest" backend, whose devices the clients plug and
// unplug through the file $MINIAV_CABITEST_DEVICES, see cabitest.go), by
// package cshared (with GOEXPERIMENT=cgocheck2, without -race).
var lib cshared.Lib

func init() { atExit = append(atExit, lib.Remove) }

// libName is the file name c-shared output has on this OS.
func libName() string { return cshared.Name("miniav") }

// buildLib builds libminiav with the go command that runs this test.
func buildLib(t *testing.T) (dir, path string) {
	t.Helper()
	return lib.Build(t, ".", "miniav", "miniav_cabitest")
}

// patternEnv passes the expected test pattern, from package testsrc, to
// the clients: they hold no copy of it.
func patternEnv() []string {
	var yuv, rgb, gray []string
	for i := range 8 {
		c, r := testsrc.BarYUV(i), testsrc.BarRGB(i)
		yuv = append(yuv, fmt.Sprintf("%d,%d,%d", c[0], c[1], c[2]))
		rgb = append(rgb, fmt.Sprintf("%d,%d,%d", r[0], r[1], r[2]))
		gray = append(gray, fmt.Sprint(testsrc.BarGray(i)))
	}
	return []string{
		"MINIAV_TEST_BARS=" + strings.Join(yuv, " "),
		"MINIAV_TEST_RGB=" + strings.Join(rgb, " "),
		"MINIAV_TEST_GRAY=" + strings.Join(gray, " "),
	}
}

var run = cshared.Run

func TestCClient(t *testing.T) {
	dir, _ := buildLib(t)
	gcc := testenv.LookPath(t, "gcc")
	client := filepath.Join(t.TempDir(), "client")
	run(t, exec.Command(gcc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", ".",
		filepath.Join("testdata", "client.c"), "-L", dir, "-lminiav", "-lm", "-pthread", "-Wl,-rpath,"+dir, "-o", client))
	cmd := exec.Command(client)
	cmd.Env = append(append(os.Environ(), patternEnv()...), hotplugEnv(t))
	out := run(t, cmd)
	if !strings.Contains(out, "PASS") {
		t.Fatalf("C client did not pass:\n%s", out)
	}
	t.Log(strings.TrimSpace(out))
}

// hotplugEnv names the file through which a client plugs and unplugs
// devices of the cabitest backend (cabitest.go).
func hotplugEnv(t *testing.T) string {
	return "MINIAV_CABITEST_DEVICES=" + filepath.Join(t.TempDir(), "devices")
}

func pythonEnv(t *testing.T, path string) []string {
	return append(append(os.Environ(), patternEnv()...), hotplugEnv(t),
		"MINIAV_LIB="+path, "MINIAV_PYTHON_PATH="+filepath.Join("..", "examples", "python"))
}

func TestPythonClient(t *testing.T) {
	_, path := buildLib(t)
	py := testenv.LookPath(t, "python3")
	cmd := exec.Command(py, filepath.Join("testdata", "client.py"))
	cmd.Env = pythonEnv(t, path)
	out := run(t, cmd)
	if !strings.Contains(out, "\nOK") {
		t.Fatalf("Python client did not pass:\n%s", out)
	}
	t.Log(strings.TrimSpace(out))
}

func TestPythonExample(t *testing.T) {
	_, path := buildLib(t)
	py := testenv.LookPath(t, "python3")
	cmd := exec.Command(py, filepath.Join("..", "examples", "python", "capture.py"), "testsrc:camera", "320x240@60 i420", "5")
	cmd.Env = pythonEnv(t, path)
	out := run(t, cmd)
	for _, want := range []string{"<Frame video seq=4 320x240 YU12>", "5 frames in", "captured 5"} {
		if !strings.Contains(out, want) {
			t.Errorf("capture.py output lacks %q:\n%s", want, out)
		}
	}
}

// TestHeaderMatchesExports checks that the hand-written miniav.h declares
// exactly the functions the library exports, with the same number of
// parameters (the generated header drops const, so types are compared by
// the C client's build with -Werror instead).
func TestHeaderMatchesExports(t *testing.T) {
	dir, _ := buildLib(t)
	gen := protos(t, filepath.Join(dir, "libminiav.h"), `^extern \S+\*? ?\*?(miniav_\w+)\((.*)\);`)
	hand := protos(t, "miniav.h", `^MINIAV_API [^(]*?\*?(miniav_\w+)\(([^)]*)\)?`)
	if len(gen) == 0 || len(hand) == 0 {
		t.Fatalf("no prototypes found: generated %v, hand-written %v", gen, hand)
	}
	names := func(m map[string]int) []string {
		var s []string
		for k := range m {
			s = append(s, k)
		}
		slices.Sort(s)
		return s
	}
	t.Logf("%d functions: %v", len(gen), names(gen))
	if g, h := names(gen), names(hand); !slices.Equal(g, h) {
		t.Fatalf("exported %v, miniav.h declares %v", g, h)
	}
	for name, n := range gen {
		if hand[name] != n {
			t.Errorf("%s: %d parameters exported, %d in miniav.h", name, n, hand[name])
		}
	}
}

// protos maps function names to parameter counts for the lines of file
// matching re (continuation lines are joined to the first).
func protos(t *testing.T, file, re string) map[string]int {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if n := len(lines); n > 0 && strings.HasSuffix(lines[n-1], ",") {
			lines[n-1] += " " + strings.TrimSpace(l)
			continue
		}
		lines = append(lines, l)
	}
	rx := regexp.MustCompile(re)
	m := map[string]int{}
	for _, l := range lines {
		if g := rx.FindStringSubmatch(l); g != nil {
			args := strings.TrimSpace(g[2])
			n := 0
			if args != "" && args != "void" {
				n = strings.Count(args, ",") + 1
			}
			m[g[1]] = n
		}
	}
	return m
}
