// Command audio measures the CPU cost of capturing 48 kHz stereo s16 from
// a PulseAudio monitor source with miniav's malgo backend and with parec,
// on one private PulseAudio daemon in one run. For each tool it runs a
// separate process for -secs and reports the process's CPU time
// (getrusage of the exited child) and the daemon's CPU time over the same
// interval (/proc), both per minute of audio. bench/audio.sh runs it.
//
//	audio -secs 20 -rounds 1
//
// With -child it is the miniav capture process itself.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend/malgo"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/proccpu"
	"github.com/miniav-go/miniav/internal/pulse"
)

// rusageCPU is the CPU time of an exited child (getrusage).
func rusageCPU(ps *os.ProcessState) float64 { return (ps.UserTime() + ps.SystemTime()).Seconds() }

// child captures for d and prints the number of sample frames received.
func child(id string, d time.Duration, period int) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	s, err := miniav.Open(ctx, id, miniav.WithAudio(format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.S16, PeriodFrames: period}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	frames := 0
	for f := range s.Frames() {
		frames += f.Audio().Frames()
		f.Release()
	}
	st := s.Stats()
	fmt.Printf("frames=%d dropped=%d\n", frames, st.Dropped.Total())
}

type result struct {
	tool          string
	client, daemn float64 // CPU seconds per minute of audio
}

func main() {
	isChild := flag.Bool("child", false, "be the miniav capture process")
	id := flag.String("id", "", "device ID (child)")
	period := flag.Int("period", 480, "miniav period in sample frames of the first miniav run (480 = 10 ms, the default)")
	secs := flag.Float64("secs", 20, "seconds per run")
	rounds := flag.Int("rounds", 1, "alternating rounds (medians are reported)")
	goCB := flag.Bool("gocb", false, "also run miniav with malgo's Go data callback (MINIAV_MALGO_GOCALLBACK=1) instead of the C one")
	flag.Parse()
	d := time.Duration(*secs * float64(time.Second))
	if *isChild {
		_ = malgo.Name
		child(*id, d, *period)
		return
	}
	srv, err := pulse.Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer srv.Close()
	self, _ := os.Executable()
	type tool struct {
		name string
		cmd  func() *exec.Cmd
	}
	miniavTool := func(period int, goCallback bool) tool {
		name := fmt.Sprintf("miniav malgo, %d ms periods", period*1000/48000)
		if goCallback {
			name = fmt.Sprintf("miniav malgo Go cb, %d ms periods", period*1000/48000)
		}
		return tool{name, func() *exec.Cmd {
			c := srv.Command(self, "-child", "-id", "malgo:"+pulse.Monitor+"?server="+srv.Addr, "-secs", fmt.Sprint(*secs), "-period", fmt.Sprint(period))
			if goCallback {
				c.Env = append(c.Env, "MINIAV_MALGO_GOCALLBACK=1")
			}
			return c
		}}
	}
	parecTool := func(name string, args ...string) tool {
		return tool{name, func() *exec.Cmd {
			return srv.Command("parec", append([]string{"--device=" + pulse.Monitor, "--rate=48000", "--channels=2", "--format=s16le", "--raw"}, args...)...)
		}}
	}
	tools := []tool{
		miniavTool(*period, false),
		parecTool("parec --latency-msec=10", "--latency-msec=10"),
		miniavTool(4800, false),
		parecTool("parec (default latency)"),
	}
	if *goCB {
		tools = append(tools, miniavTool(*period, true), miniavTool(4800, true))
	}
	res := map[string][]result{}
	for r := 0; r < *rounds; r++ {
		for _, t := range tools {
			c := t.cmd()
			devnull, _ := os.Open(os.DevNull)
			var out strings.Builder
			if strings.HasPrefix(t.name, "miniav") {
				c.Stdout = &out
			} else {
				c.Stdout, _ = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			}
			c.Stdin, c.Stderr = devnull, os.Stderr
			d0 := proccpu.Seconds(srv.Pid())
			start := time.Now()
			if err := c.Start(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			if !strings.HasPrefix(t.name, "miniav") {
				time.Sleep(d)
				c.Process.Signal(syscall.SIGTERM)
			}
			c.Wait()
			wall := time.Since(start)
			d1 := proccpu.Seconds(srv.Pid())
			perMin := time.Minute.Seconds() / wall.Seconds()
			res[t.name] = append(res[t.name], result{t.name, rusageCPU(c.ProcessState) * perMin, (d1 - d0) * perMin})
			fmt.Fprintf(os.Stderr, "round %d %-38s wall %.1fs client %.3fs daemon %.2fs %s\n", r+1, t.name, wall.Seconds(), rusageCPU(c.ProcessState), d1-d0, strings.TrimSpace(out.String()))
		}
	}
	med := func(rs []result, f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		sort.Float64s(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	fmt.Printf("48 kHz stereo s16 capture of a PulseAudio null-sink monitor, %.0f s per run, median of %d round(s)\n", *secs, *rounds)
	fmt.Printf("CPU seconds per minute of audio (= %% of one core × 0.6)\n")
	fmt.Printf("%-38s %8s %8s %8s %14s %14s\n", "tool", "client", "daemon", "total", "client ratio", "total ratio")
	base := tools[1].name // parec at the same 10 ms latency
	bc := med(res[base], func(r result) float64 { return r.client })
	bt := bc + med(res[base], func(r result) float64 { return r.daemn })
	for _, t := range tools {
		c := med(res[t.name], func(r result) float64 { return r.client })
		dm := med(res[t.name], func(r result) float64 { return r.daemn })
		fmt.Printf("%-38s %8.3f %8.3f %8.3f %13.2fx %13.2fx\n", t.name, c, dm, c+dm, c/bc, (c+dm)/bt)
	}
	fmt.Println("ratios are against parec --latency-msec=10 (lower is better)")
}
