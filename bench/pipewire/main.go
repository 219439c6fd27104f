//go:build linux

// Command pipewire measures Wayland screen capture through PipeWire: CPU
// per frame of 1280x720 frames from a ScreenCast portal node, consumed by
// miniav's pipewire backend (channel and pull streams) and by GStreamer's
// pipewiresrc, on the same node of a private headless session
// (internal/wlsession: sway + xdg-desktop-portal-wlr + PipeWire) in which a
// terminal repaints every 10 ms. bench/pipewire.sh runs it.
//
//	pipewire -rounds 3 -secs 5
//
// It runs two sessions: one with xdg-desktop-portal-wlr's default cap of
// 30 fps, one uncapped (as fast as the compositor presents damage). In
// each, every tool runs alone on the node in turn, in a process of its own,
// for -secs after a one-second warm-up, -rounds times alternating; the
// medians are printed. GStreamer's pipeline is pipewiresrc ! video/x-raw ! fakesink
// sync=false. Beside every measured process runs the same counting
// consumer (a miniav pull stream in a process of its own, not measured):
// its count is the frames the node sent in the window, the divisor of
// every tool's CPU (GStreamer has no counter that costs nothing).
//
// PWBENCH_THREADS=1 prints each consuming process's CPU per frame by
// thread on stderr.
//
// With -consume it is one such process: it consumes -node for -secs and
// prints "frames=... secs=... cpu=... cpu_s=...".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miniav-go/miniav"
	_ "github.com/miniav-go/miniav/backend/pipewire"
	"github.com/miniav-go/miniav/internal/portal"
	"github.com/miniav-go/miniav/internal/proccpu"
	"github.com/miniav-go/miniav/internal/wlsession"
)

var tools = []string{"miniav", "miniav-pull", "gst"} // measured; "count" is the counter

func main() {
	consume := flag.String("consume", "", "consume the node with this tool (miniav, miniav-pull, gst) and print one line")
	node := flag.Uint("node", 0, "PipeWire node id (with -consume)")
	secs := flag.Float64("secs", 5, "measured seconds per run")
	rounds := flag.Int("rounds", 3, "alternating rounds")
	only := flag.String("tools", "", "measure only these tools (comma-separated)")
	flag.Parse()
	if *only != "" {
		tools = strings.Split(*only, ",")
	}
	dur := time.Duration(*secs * float64(time.Second))
	if *consume != "" {
		if err := consumeNode(*consume, uint32(*node), dur); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	fmt.Printf("PipeWire screen capture, 1280x720 BGRx from xdg-desktop-portal-wlr on a headless sway, a terminal repainting every 10 ms;\n")
	fmt.Printf("%.0f s per run after 1 s of warm-up, median of %d alternating runs; CPU of the consuming process only\n", *secs, *rounds)
	for _, maxFPS := range []string{"30", "0"} {
		if err := phase(maxFPS, dur, *rounds); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func phase(maxFPS string, dur time.Duration, rounds int) error {
	os.Setenv("HEADLESS_MAX_FPS", maxFPS)
	s, err := wlsession.StartOwn(1280, 720, "#336699")
	if err != nil {
		return err
	}
	defer s.Stop()
	s.Setenv()
	if err := s.Swaymsg(`workspace 2; exec foot -o colors.background=202020 -e sh -c "while :; do printf '\r%s ' $(date +%N); sleep 0.01; done"`); err != nil {
		return err
	}
	time.Sleep(time.Second)
	ctx := context.Background()
	sess, err := portal.Start(ctx, portal.Options{Types: portal.Monitor})
	if err != nil {
		return err
	}
	defer sess.Close()
	node := sess.Streams[0].Node
	res := map[string][]map[string]float64{}
	run := func(tool string) (*exec.Cmd, *strings.Builder, error) {
		cmd := exec.Command(os.Args[0], "-consume", tool, "-node", strconv.Itoa(int(node)), "-secs", fmt.Sprint(dur.Seconds()))
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			return nil, nil, err
		}
		return cmd, &out, nil
	}
	for range rounds {
		for _, tool := range tools {
			// Each tool runs beside the same counting consumer (a
			// miniav pull stream), whose count is the frames the node
			// sent in the window: GStreamer's pipeline has no cheap
			// frame counter of its own.
			cmd, out, err := run(tool)
			if err != nil {
				return err
			}
			cc, cout, err := run("count")
			if err != nil {
				return err
			}
			err1, err2 := cmd.Wait(), cc.Wait()
			if err1 != nil || err2 != nil {
				return fmt.Errorf("%s: %v %v: %s %s", tool, err1, err2, cmd.Stderr, cc.Stderr)
			}
			if os.Getenv("PWBENCH_THREADS") != "" {
				fmt.Fprintf(os.Stderr, "%s:\n%s", tool, cmd.Stderr)
			}
			r, c := parse(out.String()), parse(cout.String())
			r["fps"] = c["frames"] / c["secs"]
			r["us_per_frame"] = 1e6 * r["cpu_s"] / c["frames"]
			res[tool] = append(res[tool], r)
		}
	}
	label := "capped at 30 fps (xdpw's default)"
	if maxFPS == "0" {
		label = "uncapped (max_fps=0)"
	}
	fmt.Printf("\n%s\n", label)
	fmt.Printf("%-12s %8s %10s %14s %12s\n", "tool", "fps", "CPU %", "µs CPU/frame", "vs gst")
	gst := med(res["gst"], "us_per_frame")
	for _, tool := range tools {
		us := med(res[tool], "us_per_frame")
		fmt.Printf("%-12s %8.1f %10.2f %14.1f %11.2fx\n", tool, med(res[tool], "fps"), med(res[tool], "cpu"), us, us/gst)
	}
	return nil
}

var kv = regexp.MustCompile(`(\w+)=([0-9.]+)`)

func parse(line string) map[string]float64 {
	m := map[string]float64{}
	for _, g := range kv.FindAllStringSubmatch(line, -1) {
		m[g[1]], _ = strconv.ParseFloat(g[2], 64)
	}
	return m
}

func med(runs []map[string]float64, k string) float64 {
	var v []float64
	for _, r := range runs {
		v = append(v, r[k])
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func consumeNode(tool string, node uint32, dur time.Duration) error {
	var frames func() uint64
	var pid int
	var stop func()
	id := "pipewire:" + strconv.Itoa(int(node))
	switch tool {
	case "miniav", "miniav-pull", "count":
		pull := tool != "miniav"
		var opts []miniav.Option
		if pull {
			opts = append(opts, miniav.WithPull())
		}
		s, err := miniav.Open(context.Background(), id, opts...)
		if err != nil {
			return err
		}
		var n atomic.Uint64
		done := make(chan struct{})
		go func() {
			defer close(done)
			if !pull {
				for f := range s.Frames() {
					n.Add(1)
					f.Release()
				}
				return
			}
			for {
				f, err := s.Next()
				if err != nil {
					return
				}
				n.Add(1)
				f.Release()
			}
		}()
		frames, pid, stop = n.Load, os.Getpid(), func() { s.Close(); <-done }
	case "gst":
		cmd := exec.Command("gst-launch-1.0", "-q", "pipewiresrc", "path="+strconv.Itoa(int(node)), "!", "video/x-raw", "!", "fakesink", "sync=false")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return err
		}
		// SIGINT, not SIGKILL: a PipeWire 0.3 consumer killed with
		// buffers dequeued stalls the producer for the next consumer
		// (the counter of the next round saw no frames for over a
		// second, 1 run in about 40)
		frames, pid, stop = func() uint64 { return 0 }, cmd.Process.Pid, func() {
			cmd.Process.Signal(os.Interrupt)
			t := time.AfterFunc(3*time.Second, func() { cmd.Process.Kill() })
			cmd.Wait()
			t.Stop()
		}
	default:
		return fmt.Errorf("unknown tool %q", tool)
	}
	time.Sleep(time.Second)
	f0, c0, t0 := frames(), proccpu.Seconds(pid), time.Now()
	th0 := proccpu.Threads(pid)
	time.Sleep(dur)
	f1, c1, t1 := frames(), proccpu.Seconds(pid), time.Now()
	if os.Getenv("PWBENCH_THREADS") != "" {
		for k, v := range proccpu.Threads(pid) {
			if d := v - th0[k]; d > 0 {
				fmt.Fprintf(os.Stderr, "thread %s: %.1f µs/frame\n", k, 1e6*d/float64(f1-f0))
			}
		}
	}
	if tool == "gst" {
		if err := cmd1Alive(pid); err != nil {
			return err
		}
	}
	stop()
	el := t1.Sub(t0).Seconds()
	n := float64(f1 - f0)
	if n == 0 && tool != "gst" {
		return fmt.Errorf("%s: no frames in %v", tool, dur)
	}
	fmt.Printf("%s frames=%.0f secs=%.3f cpu=%.2f cpu_s=%.6f\n", tool, n, el, 100*(c1-c0)/el, c1-c0)
	return nil
}

// cmd1Alive reports an error when the process pid is gone (or a zombie):
// a pipeline that failed would otherwise measure as free.
func cmd1Alive(pid int) error {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return fmt.Errorf("gst-launch-1.0 exited early: %v", err)
	}
	if f := strings.Fields(string(b)); len(f) > 2 && f[2] == "Z" {
		return fmt.Errorf("gst-launch-1.0 exited early")
	}
	return nil
}
