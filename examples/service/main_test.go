package main

import (
	"context"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/metrics"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// expectedLuma is the mean luma of the bars, which cover every column
// equally whatever the scroll offset.
func expectedLuma(w int) float64 {
	sum := 0
	for x := range w {
		sum += int(testsrc.BarYUV(testsrc.BarAt(x, w, 0))[0])
	}
	return float64(sum) / float64(w)
}

func TestMeasuresPattern(t *testing.T) {
	for _, pf := range []format.PixelFormat{format.I420, format.NV12, format.YUYV} {
		for _, static := range []bool{false, true} {
			id := "testsrc:camera?stamp=0"
			if static {
				id += "&static=1"
			}
			cfg := Config{Device: id, Format: format.Video{Width: 320, Height: 96, PixelFormat: pf, FrameRate: format.FPS(200)}, Frames: 20, Report: time.Hour, Logger: quiet}
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Frames != 20 {
				t.Fatalf("%v: %d frames", pf, sum.Frames)
			}
			if want := expectedLuma(320); math.Abs(sum.Luma-want) > 0.01 {
				t.Errorf("%v: mean luma %.3f, want %.3f", pf, sum.Luma, want)
			}
			if static && sum.MaxMove != 0 {
				t.Errorf("%v static: motion %.3f, want 0", pf, sum.MaxMove)
			}
			if !static && sum.Motion < 1 {
				t.Errorf("%v moving: motion %.3f, want the scrolling bars to show", pf, sum.Motion)
			}
		}
	}
}

func TestStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := metrics.New()
	done := make(chan error)
	var sum Summary
	go func() {
		var err error
		sum, err = Run(ctx, Config{Device: "testsrc:camera", Format: format.Video{Width: 64, Height: 32, FrameRate: format.FPS(100)}, Report: 10 * time.Millisecond, Metrics: c, Logger: quiet})
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop on cancel")
	}
	if sum.Frames == 0 {
		t.Fatal("no frames processed")
	}
}

func TestUnsupportedFormat(t *testing.T) {
	_, err := Run(context.Background(), Config{Device: "testsrc:camera", Format: format.Video{PixelFormat: format.RGBA}, Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), "luma") {
		t.Fatalf("err = %v", err)
	}
}

// The real binary stops with status 0 on SIGTERM.
func TestBinarySIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "service")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-metrics-addr", "127.0.0.1:0", "-format", "64x32@50", "-report", "50ms")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := make(chan string)
	go func() { b, _ := io.ReadAll(stderr); logs <- string(b) }()
	time.Sleep(500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	out := <-logs
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	if !strings.Contains(out, "msg=stopped") || !strings.Contains(out, "msg=summary") {
		t.Fatalf("logs:\n%s", out)
	}
	_ = os.Remove(bin)
}
