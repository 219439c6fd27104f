//go:build cgo

package main

import (
	"bufio"
	"fmt"
	"image"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/internal/cabitest"
	"github.com/miniav-go/miniav/internal/cshared"
	"github.com/miniav-go/miniav/internal/pulse"
	"github.com/miniav-go/miniav/internal/testenv"
	"github.com/miniav-go/miniav/internal/xvfb"
)

// The library the tests build: the documented drop-in, under its 0.7 name,
// with -tags miniav_cabitest, which adds the hot-plug test backend
// (cabitest.go).
var lib cshared.Lib

func init() { atExit = append(atExit, lib.Remove) }

func buildLib(t *testing.T) (dir, path string) {
	t.Helper()
	return lib.Build(t, ".", "miniav_c", "miniav_cabitest")
}

var run = cshared.Run

// TestABI compiles testdata/abi.c, whose _Static_asserts state the sizes
// and offsets of every public 0.7 struct on x86-64 and the enum values,
// against include/: it fails to compile if the headers differ.
func TestABI(t *testing.T) {
	if runtime.GOARCH != "amd64" || runtime.GOOS == "windows" {
		t.Skipf("the layouts are those measured on x86-64 LP64 (GOARCH=%s GOOS=%s)", runtime.GOARCH, runtime.GOOS)
	}
	gcc := testenv.LookPath(t, "gcc")
	bin := filepath.Join(t.TempDir(), "abi")
	for _, std := range []string{"-std=c11", "-std=gnu17"} {
		run(t, exec.Command(gcc, std, "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", "include",
			filepath.Join("testdata", "abi.c"), "-o", bin))
		if out := run(t, exec.Command(bin)); !strings.Contains(out, "ABI OK") {
			t.Fatalf("abi: %s", out)
		}
	}
	// C++ programs include the same headers.
	if gxx, err := exec.LookPath("g++"); err == nil {
		run(t, exec.Command(gxx, "-x", "c++", "-std=c++17", "-fsyntax-only", "-Wall", "-Werror", "-I", "include",
			"-include", "miniav.h", "-include", "miniav_playback.h", "/dev/null"))
	}
}

// headerFunctions returns the functions the headers declare.
func headerFunctions(t *testing.T, headers ...string) []string {
	t.Helper()
	rx := regexp.MustCompile(`MINIAV_API\s[^;(]*?\b(MiniAV_\w+)\s*\(`)
	var names []string
	for _, h := range headers {
		b, err := os.ReadFile(filepath.Join("include", h))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range rx.FindAllStringSubmatch(string(b), -1) {
			names = append(names, m[1])
		}
	}
	slices.Sort(names)
	return names
}

// TestExports checks with nm -D that the library exports exactly the 99
// functions of the 0.7 headers and the 3 of miniav's extension header
// (camera properties), and no other MiniAV_ symbol.
func TestExports(t *testing.T) {
	_, path := buildLib(t)
	nm := testenv.LookPath(t, "nm")
	declared := headerFunctions(t, "miniav_capture.h", "miniav_playback.h")
	if len(declared) != 99 {
		t.Fatalf("the 0.7 headers declare %d functions, want 99: %v", len(declared), declared)
	}
	ext := headerFunctions(t, "miniav_ext.h")
	if len(ext) != 3 {
		t.Fatalf("miniav_ext.h declares %d functions, want 3: %v", len(ext), ext)
	}
	declared = append(declared, ext...)
	slices.Sort(declared)
	var exported []string
	for line := range strings.Lines(run(t, exec.Command(nm, "-D", "--defined-only", path))) {
		f := strings.Fields(line)
		if len(f) == 3 && f[1] == "T" && strings.HasPrefix(f[2], "MiniAV_") {
			exported = append(exported, f[2])
		}
	}
	slices.Sort(exported)
	if !slices.Equal(exported, declared) {
		t.Fatalf("exported %d functions, the headers declare %d:\nonly exported: %v\nonly declared: %v",
			len(exported), len(declared), minus(exported, declared), minus(declared, exported))
	}
	t.Logf("%d MiniAV_ functions exported", len(exported))
}

func minus(a, b []string) []string {
	var d []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			d = append(d, s)
		}
	}
	return d
}

// patternEnv passes the testsrc pattern to the client, which holds no copy.
func patternEnv() []string {
	var yuv, rgb []string
	for i := range 8 {
		c, r := testsrc.BarYUV(i), testsrc.BarRGB(i)
		yuv = append(yuv, fmt.Sprintf("%d,%d,%d", c[0], c[1], c[2]))
		rgb = append(rgb, fmt.Sprintf("%d,%d,%d", r[0], r[1], r[2]))
	}
	return []string{"MINIAV_TEST_BARS=" + strings.Join(yuv, " "), "MINIAV_TEST_RGB=" + strings.Join(rgb, " ")}
}

// hotplugEnv names the file through which the client plugs and unplugs
// devices of the cabitest backend.
func hotplugEnv(t *testing.T) string {
	return cabitest.EnvVar + "=" + filepath.Join(t.TempDir(), "devices")
}

// buildClient compiles testdata/client.c against the headers and the
// library, as a MiniAV program is built (-lminiav_c).
func buildClient(t *testing.T, name string, extra ...string) string {
	t.Helper()
	dir, _ := buildLib(t)
	gcc := testenv.LookPath(t, "gcc")
	bin := filepath.Join(t.TempDir(), name)
	args := append([]string{"-std=c11", "-Wall", "-Wextra", "-Werror", "-g"}, extra...)
	args = append(args, "-I", "include", filepath.Join("testdata", "client.c"), "-L", dir, "-lminiav_c", "-lm",
		"-pthread", "-Wl,-rpath,"+dir, "-o", bin)
	if out, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		if strings.Contains(string(out), "asan") || strings.Contains(string(out), "ubsan") {
			testenv.Missing(t, "gcc cannot link -fsanitize=address,undefined (libasan, libubsan): %s", out)
		}
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

func passed(t *testing.T, out string) {
	t.Helper()
	if !strings.Contains(out, "\nPASS") || strings.Contains(out, "Sanitizer") || strings.Contains(out, "runtime error:") {
		t.Fatalf("C client did not pass:\n%s", out)
	}
	t.Log(strings.TrimSpace(out))
}

// TestCClient runs the MiniAV program against testsrc: cameras, formats,
// capture with the callback, buffers checked (pixels, planes, timestamps)
// and released on another thread, error codes, backpressure, StopCapture
// inside the callback, Dispose, context lost, audio by callback and pull,
// the screen, loopback and the unsupported modules.
func TestCClient(t *testing.T) {
	cmd := exec.Command(buildClient(t, "client"))
	cmd.Env = append(os.Environ(), append(patternEnv(), hotplugEnv(t))...)
	passed(t, run(t, cmd))
}

// TestCClientSanitized runs the same program built with
// -fsanitize=address,undefined: an invalid read or write of the buffers
// the library hands out (or of the lists it allocates) fails it. A canary
// build that reads one byte past a device list must be stopped by ASan.
func TestCClientSanitized(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("AddressSanitizer with the Go runtime is checked on linux")
	}
	flags := []string{"-O1", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"}
	env := append(os.Environ(), append(patternEnv(), hotplugEnv(t), "ASAN_OPTIONS=detect_leaks=0:halt_on_error=1",
		"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")...) // LeakSanitizer does not scan Go memory
	cmd := exec.Command(buildClient(t, "client-asan", flags...))
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sanitized C client: %v\n%s", err, out)
	}
	passed(t, string(out))

	canary := exec.Command(buildClient(t, "client-asan-canary", append(flags, "-DMINIAVC_ASAN_CANARY")...))
	canary.Env = env
	out, err = canary.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "ERROR: AddressSanitizer: heap-buffer-overflow") {
		t.Fatalf("the canary's read past the device list went unnoticed (%v):\n%s", err, out)
	}
}

// TestCClientX11 captures a private Xvfb through the screen functions:
// the display is enumerated, its default format is 1920x1080 BGRX32, a
// region configures 640x480 and its buffers hold exactly the painted
// scene's pixels at that offset, a region off the screen is refused, and
// the display's buffers hold every pixel of the scene.
func TestCClientX11(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Xvfb runs on linux")
	}
	bin := buildClient(t, "client")
	x := xvfb.Start(t)
	scene := []xvfb.Rect{
		{Rectangle: image.Rect(0, 0, 1920, 1080), RGB: 0x404040},
		{Rectangle: image.Rect(100, 50, 300, 150), RGB: 0x112233},
		{Rectangle: image.Rect(650, 400, 900, 700), RGB: 0xff8000}, // across the region's bottom-right corner
		{Rectangle: image.Rect(1900, 1070, 1920, 1080), RGB: 0x00ff7f},
	}
	if err := xvfb.Paint(x.Display, scene...); err != nil {
		t.Fatal(err)
	}
	var desc []string
	for _, r := range scene {
		desc = append(desc, fmt.Sprintf("%d,%d,%d,%d,%06x", r.Min.X, r.Min.Y, r.Max.X, r.Max.Y, r.RGB))
	}
	cmd := exec.Command(bin, "x11")
	cmd.Env = append(os.Environ(), append(patternEnv(), "DISPLAY="+x.Display, "MINIAV_TEST_X11_SCENE="+strings.Join(desc, " "))...)
	passed(t, run(t, cmd))
}

// TestCClientLeak holds one buffer past MINIAV_LEAK_AFTER: the library
// counts it as leaked once (miniav_frames_leaked_total on the metrics it
// serves at MINIAV_METRICS_ADDR, and a warning to the log callback) and
// still counts it as outstanding, the buffer keeps its pixels, and its
// release then works once.
func TestCClientLeak(t *testing.T) {
	bin := buildClient(t, "client")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "leak")
	cmd.Env = append(os.Environ(), append(patternEnv(), "MINIAV_LEAK_AFTER=300ms", "MINIAV_METRICS_ADDR="+addr)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	if err != nil || line != "HOLDING\n" {
		cmd.Wait()
		t.Fatalf("client said %q (%v):\n%s", line, err, stderr.String())
	}
	const stream = `{stream="testsrc:camera"}`
	var leaked, outstanding float64
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		m := scrape(t, "http://"+addr+"/metrics")
		leaked, outstanding = m["miniav_frames_leaked_total"+stream], m["miniav_buffers_outstanding"+stream]
		if leaked == 1 && outstanding >= 1 {
			break
		}
	}
	if leaked != 1 || outstanding < 1 {
		t.Errorf("while one buffer is held past the deadline: leaked %v, outstanding %v; want 1 and >= 1", leaked, outstanding)
	}
	io.WriteString(stdin, "release\n")
	rest, _ := io.ReadAll(out)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("client: %v\n%s%s", err, rest, stderr.String())
	}
	passed(t, line+string(rest)+stderr.String())
}

// scrape reads a Prometheus text exposition into series → value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		if v, err := strconv.ParseFloat(val, 64); err == nil {
			m[name] = v
		}
	}
	return m
}

// TestPythonClient drives the library from Python's ctypes (standard
// library only), as the original's users of other FFIs do.
func TestPythonClient(t *testing.T) {
	_, path := buildLib(t)
	py := testenv.LookPath(t, "python3")
	cmd := exec.Command(py, filepath.Join("testdata", "client.py"))
	cmd.Env = append(os.Environ(), append(patternEnv(), "MINIAVC_LIB="+path)...)
	out := run(t, cmd)
	if !strings.Contains(out, "\nOK") {
		t.Fatalf("Python client did not pass:\n%s", out)
	}
	t.Log(strings.TrimSpace(out))
}

// TestCClientPulse captures a private PulseAudio playing a 1 kHz tone into
// its default output and its microphone's sink: loopback (by ID and the
// default) and microphone capture must hear the tone (zero crossings within
// 2%), with frame_count and info.num_frames both set; screen capture with
// capture_audio must deliver the loopback's audio and the video to one
// callback.
func TestCClientPulse(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the private PulseAudio runs on linux")
	}
	bin := buildClient(t, "client")
	srv := pulse.StartT(t)
	const freq = 1000
	wav := pulse.ToneWAV(t, freq, pulse.Rate, 2, 30*time.Second, 0.5)
	for _, sink := range []string{pulse.Sink, pulse.MicSink} {
		if err := srv.Play(sink, wav); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "pulse", fmt.Sprint(freq))
	cmd.Env = append(os.Environ(), append(patternEnv(), "PULSE_SERVER="+srv.Addr)...)
	passed(t, run(t, cmd))
}

// TestCMake builds the library through miniav_c/CMakeLists.txt, the
// replacement for the CMake folder MiniAV's Dart package builds, installs
// it, and runs a program built against the installed headers and library.
func TestCMake(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skipf("the CMake project is driven on linux and darwin (GOOS=%s)", runtime.GOOS)
	}
	buildLib(t) // the Go build cache then holds every package
	cmake := testenv.LookPath(t, "cmake")
	gcc := testenv.LookPath(t, "gcc")
	tmp := t.TempDir()
	build, inst := filepath.Join(tmp, "build"), filepath.Join(tmp, "install")
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+filepath.Join(runtime.GOROOT(), "bin")+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GOEXPERIMENT=cgocheck2") // as lib.Build, so that the cache is shared
	for _, args := range [][]string{
		{"-S", "miniav_c", "-B", build, "-DMINIAV_SOURCE_DIR=" + root},
		{"--build", build},
		{"--install", build, "--prefix", inst},
	} {
		cmd := exec.Command(cmake, args...)
		cmd.Env = env
		run(t, cmd)
	}
	libdir := filepath.Join(inst, "lib")
	if _, err := os.Stat(filepath.Join(libdir, cshared.Name("miniav_c"))); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(tmp, "version.c")
	prog := "#include <stdio.h>\n#include \"miniav.h\"\nint main(void) {\n\tuint32_t a, b, c;\n" +
		"\tif (MiniAV_GetVersion(&a, &b, &c) != MINIAV_SUCCESS) return 1;\n" +
		"\tprintf(\"%u.%u.%u %s\\n\", a, b, c, MiniAV_GetVersionString());\n\treturn 0;\n}\n"
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "version")
	run(t, exec.Command(gcc, "-std=c11", "-Wall", "-Werror", "-I", filepath.Join(inst, "include"), src, "-L", libdir,
		"-lminiav_c", "-Wl,-rpath,"+libdir, "-o", bin))
	if out := run(t, exec.Command(bin)); !strings.HasPrefix(out, "0.7.0 0.7.0") {
		t.Fatalf("version program printed %q", out)
	}
}
