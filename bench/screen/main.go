// Command screen measures X11 screen capture at 1920x1080 on a given
// display, for miniav's x11 backend or for ffmpeg's x11grab, and prints one
// line: frames per second, client CPU and X server CPU (percent of one
// core) over the measured interval. bench/screen.sh runs it for both and
// prints the comparison.
//
//	screen -tool miniav|ffmpeg -display :5 -xpid 1234 -fps 0|30 -secs 5
//
// -fps 0 is unpaced (as fast as possible). Each run warms up for one
// second before measuring. -tool memcpy instead measures how many frames
// per second one core can copy in memory row by row (the X server's
// work per MIT-SHM capture), the bound of unpaced capture.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miniav-go/miniav"
	_ "github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/backend/x11"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/proccpu"
)

func main() {
	tool := flag.String("tool", "miniav", "miniav or ffmpeg")
	display := flag.String("display", os.Getenv("DISPLAY"), "X display")
	xpid := flag.Int("xpid", 0, "pid of the X server")
	fps := flag.Int("fps", 0, "frame rate (0: unpaced)")
	secs := flag.Float64("secs", 5, "measured seconds")
	buffers := flag.Int("buffers", 0, "miniav capture buffers (0: the backend's default)")
	id := flag.String("id", "", "miniav device ID (default x11:<display>)")
	flag.Parse()
	dur := time.Duration(*secs * float64(time.Second))
	var frames func() uint64
	var clientPid int
	var stop func()
	switch *tool {
	case "memcpy":
		memcpyBound(dur)
		return
	case "miniav":
		_ = x11.Name
		opts := []miniav.Option{miniav.WithBuffers(*buffers)}
		if *fps == 0 {
			opts = append(opts, miniav.WithUnpaced())
		} else {
			opts = append(opts, miniav.WithVideo(format.Video{FrameRate: format.FPS(*fps)}))
		}
		if *id == "" {
			*id = "x11:" + *display
		}
		s, err := miniav.Open(context.Background(), *id, opts...)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var n atomic.Uint64
		done := make(chan struct{})
		go func() {
			defer close(done)
			for f := range s.Frames() {
				n.Add(1)
				f.Release()
			}
		}()
		frames = n.Load
		clientPid = os.Getpid()
		stop = func() { s.Close(); <-done }
		fmt.Fprintln(os.Stderr, "mode:", s.Info().Mode)
	case "ffmpeg":
		rate := *fps
		if rate == 0 {
			rate = 100000
		}
		cmd := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "x11grab", "-video_size", "1920x1080",
			"-framerate", strconv.Itoa(rate), "-i", *display, "-f", "null", "-progress", "pipe:1", "-stats_period", "0.1", "-")
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var n atomic.Uint64
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if v, ok := strings.CutPrefix(sc.Text(), "frame="); ok {
					f, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
					n.Store(f)
				}
			}
		}()
		frames = n.Load
		clientPid = cmd.Process.Pid
		stop = func() { cmd.Process.Kill(); cmd.Wait() }
	default:
		fmt.Fprintln(os.Stderr, "unknown tool", *tool)
		os.Exit(2)
	}
	time.Sleep(time.Second) // warm-up
	f0, c0, x0, t0 := frames(), proccpu.Seconds(clientPid), proccpu.Seconds(*xpid), time.Now()
	time.Sleep(dur)
	f1, c1, x1, t1 := frames(), proccpu.Seconds(clientPid), proccpu.Seconds(*xpid), time.Now()
	stop()
	el := t1.Sub(t0).Seconds()
	fmt.Printf("%s fps=%.1f client_cpu=%.1f xserver_cpu=%.1f\n", *tool, float64(f1-f0)/el, 100*(c1-c0)/el, 100*(x1-x0)/el)
}

// memcpyBound prints the frames per second one core copies in memory,
// row by row as the X server's fbBlt does, after a warm-up.
func memcpyBound(dur time.Duration) {
	const w, h = 1920, 1080
	src, dst := make([]byte, w*h*4), make([]byte, w*h*4)
	for i := range src {
		src[i] = byte(i)
	}
	frame := func() {
		for o := 0; o < len(src); o += w * 4 {
			copy(dst[o:o+w*4], src[o:o+w*4])
		}
	}
	for range 50 {
		frame()
	}
	n, t0 := 0, time.Now()
	for time.Since(t0) < dur {
		frame()
		n++
	}
	el := time.Since(t0).Seconds()
	fmt.Printf("memcpy fps=%.1f gbps=%.2f\n", float64(n)/el, float64(n*w*h*4)/el/1e9)
}
