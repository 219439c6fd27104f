//go:build cgo && linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miniav-go/miniav/internal/testenv"
)

// asanOptions are the AddressSanitizer settings of the sanitized C client.
// ASan works in a process whose C code hosts the Go runtime of the
// c-shared library without LD_PRELOAD (the client executable itself links
// libasan first) and without any other setting; only its leak check is
// off: LeakSanitizer does not scan Go memory, so C memory that Go holds on
// purpose (the status names, miniaudio contexts a stream still uses) is
// reported as leaked, as is what github.com/gen2brain/malgo leaks itself
// when a miniaudio context fails to initialise. Invalid reads and writes,
// use after free, double free and UBSan's checks all stay on and fatal.
const asanOptions = "detect_leaks=0:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1"

// TestCClientSanitized runs the C client (testdata/client.c: double
// release, stale and foreign handles, NULL arguments, close while another
// thread waits, ...) built with -fsanitize=address,undefined against the
// real library: any invalid read or write of C memory, in the client or in
// the library's C side, fails it. A canary build that reads one byte past a
// string the library allocated must fail, or the sanitizer is not working.
func TestCClientSanitized(t *testing.T) {
	dir, _ := buildLib(t)
	gcc := testenv.LookPath(t, "gcc")
	build := func(name string, extra ...string) string {
		bin := filepath.Join(t.TempDir(), name)
		args := append([]string{"-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-O1", "-fno-omit-frame-pointer",
			"-fsanitize=address,undefined", "-fno-sanitize-recover=all"}, extra...)
		args = append(args, "-I", ".", filepath.Join("testdata", "client.c"), "-L", dir, "-lminiav", "-lm", "-pthread",
			"-Wl,-rpath,"+dir, "-o", bin)
		if out, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
			if strings.Contains(string(out), "asan") || strings.Contains(string(out), "ubsan") {
				testenv.Missing(t, "gcc cannot link -fsanitize=address,undefined (libasan, libubsan): %s", out)
			}
			t.Fatalf("gcc: %v\n%s", err, out)
		}
		return bin
	}
	env := func() []string {
		return append(append(os.Environ(), patternEnv()...), hotplugEnv(t),
			"ASAN_OPTIONS="+asanOptions, "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
	}

	cmd := exec.Command(build("client-asan"))
	cmd.Env = env()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") || strings.Contains(string(out), "Sanitizer") ||
		strings.Contains(string(out), "runtime error:") {
		t.Fatalf("sanitized C client: %v\n%s", err, out)
	}
	t.Log(lastLine(string(out)))

	canary := exec.Command(build("client-asan-canary", "-DMINIAV_ASAN_CANARY"))
	canary.Env = env()
	out, err = canary.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "ERROR: AddressSanitizer: heap-buffer-overflow") {
		t.Fatalf("the canary's read past a library string went unnoticed (%v):\n%s", err, out)
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}
