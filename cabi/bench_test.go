//go:build cgo && (linux || darwin)

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/testenv"
)

// The benchmarks compare the CPU a frame costs through the C ABI (a C
// program calling miniav_next_frame and miniav_frame_release) with the same
// capture through the Go API, at 1000 fps of a source that renders nothing:
// what remains is delivery, the cgo call from a foreign thread and the
// wake-ups. Both report cpu-ns/frame; wall time per op is the 1 ms pacing.

const benchDevice, benchFormat = "testsrc:camera?static=1&stamp=0", "64x64@1000 gray8"

// benchLib is built without cgocheck2, whose checks would be measured too.
var benchLib struct {
	once sync.Once
	dir  string
	err  error
}

func cpuNow() time.Duration {
	var r syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

func BenchmarkFrameC(b *testing.B) {
	gcc := testenv.LookPath(b, "gcc")
	benchLib.once.Do(func() {
		benchLib.dir, benchLib.err = os.MkdirTemp("", "miniav-cabi-bench-")
		if benchLib.err != nil {
			return
		}
		atExit = append(atExit, func() { os.RemoveAll(benchLib.dir) })
		gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
		out, err := exec.Command(gobin, "build", "-buildmode=c-shared", "-o", filepath.Join(benchLib.dir, libName()), ".").CombinedOutput()
		if err != nil {
			benchLib.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		out, err = exec.Command(gcc, "-O2", "-I", ".", filepath.Join("testdata", "bench.c"), "-L", benchLib.dir, "-lminiav",
			"-Wl,-rpath,"+benchLib.dir, "-o", filepath.Join(benchLib.dir, "bench")).CombinedOutput()
		if err != nil {
			benchLib.err = fmt.Errorf("gcc: %v\n%s", err, out)
		}
	})
	if benchLib.err != nil {
		b.Fatal(benchLib.err)
	}
	b.ResetTimer()
	out, err := exec.Command(filepath.Join(benchLib.dir, "bench"), strconv.Itoa(b.N)).CombinedOutput()
	if err != nil {
		b.Fatalf("bench: %v\n%s", err, out)
	}
	var cpu int64
	var n int
	if _, err := fmt.Sscanf(string(out), "cpu_ns %d frames %d", &cpu, &n); err != nil || n != b.N {
		b.Fatalf("bench output %q: %v", out, err)
	}
	b.ReportMetric(float64(cpu)/float64(n), "cpu-ns/frame")
}

func BenchmarkFrameGo(b *testing.B) {
	v, err := format.ParseVideo(benchFormat)
	if err != nil {
		b.Fatal(err)
	}
	s, err := miniav.Open(context.Background(), benchDevice, miniav.WithVideo(v), miniav.WithQueue(64), miniav.WithPolicy(miniav.Block))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	sum := 0
	b.ResetTimer()
	c0 := cpuNow()
	for range b.N {
		f := <-s.Frames()
		sum += int(f.Video().Plane(0)[100])
		f.Release()
	}
	b.ReportMetric(float64(cpuNow()-c0)/float64(b.N), "cpu-ns/frame")
}
