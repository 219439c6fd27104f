// Command audio measures the CPU cost of capturing 48 kHz stereo s16 from
// a PulseAudio monitor source with miniav's malgo backend, its pure-Go
// pulse backend and parec,
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
	"os/signal"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend/malgo"
	pulsebackend "github.com/miniav-go/miniav/backend/pulse"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/proccpu"
	"github.com/miniav-go/miniav/internal/pulse"
)

// rusageCPU is the CPU time of an exited child (getrusage).
func rusageCPU(ps *os.ProcessState) float64 { return (ps.UserTime() + ps.SystemTime()).Seconds() }

// child captures for d and prints the number of sample frames received.
func child(id string, period int, pull bool) {
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer cancel()
	opts := []miniav.Option{miniav.WithAudio(format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.S16, PeriodFrames: period})}
	if pull {
		opts = append(opts, miniav.WithPull())
	}
	s, err := miniav.Open(ctx, id, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	frames := 0
	for {
		f, err := s.Next()
		if err != nil {
			break
		}
		frames += f.Audio().Frames()
		f.Release()
	}
	st := s.Stats()
	fmt.Printf("frames=%d dropped=%d\n", frames, st.Dropped.Total())
}

type result struct {
	tool          string
	steady        float64 // the client's CPU after warm-up, per minute of audio
	client, daemn float64 // CPU seconds per minute of audio
}

func main() {
	isChild := flag.Bool("child", false, "be the miniav capture process")
	isFloor := flag.Bool("floor", false, "be the Go netpoll calibration process (reads fd 3)")
	id := flag.String("id", "", "device ID (child)")
	period := flag.Int("period", 480, "miniav period in sample frames of the first miniav run (480 = 10 ms, the default)")
	secs := flag.Float64("secs", 20, "seconds per run")
	rounds := flag.Int("rounds", 1, "alternating rounds (medians are reported)")
	perThread := flag.Bool("threads", false, "print each thread's steady-state CPU")
	warm := 2 * time.Second
	pull := flag.Bool("pull", false, "pull stream (child)")
	only := flag.String("only", "", "run only the tools whose name matches this regular expression (parec at 10 ms always runs: it is the baseline)")
	keepAlive := flag.Bool("keepalive", true, "keep the test server's low-latency keep-alive streams playing (they make the null sink send data every 5 ms; false: every client period)")
	goCB := flag.Bool("gocb", false, "also run miniav with malgo's Go data callback (MINIAV_MALGO_GOCALLBACK=1) instead of the C one")
	flag.Parse()
	d := time.Duration(*secs * float64(time.Second))
	if *isFloor {
		floor()
		return
	}
	if *isChild {
		_, _ = malgo.Name, pulsebackend.Name
		child(*id, *period, *pull)
		return
	}
	srv, err := pulse.Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer srv.Close()
	if !*keepAlive {
		srv.StopKeepAlive()
	}
	self, _ := os.Executable()
	type tool struct {
		name string
		cmd  func() *exec.Cmd
		peer string // parec at the same period, for the last column
		out  bool   // the tool prints a summary line
	}
	miniavTool := func(be string, period int, goCallback, pull bool, env ...string) tool {
		name := fmt.Sprintf("miniav %s, %d ms periods", be, period*1000/48000)
		if goCallback {
			name = fmt.Sprintf("miniav malgo Go cb, %d ms periods", period*1000/48000)
		}
		if pull {
			name += ", pull"
		}
		for _, e := range env {
			name += ", " + e
		}
		return tool{name: name, peer: fmt.Sprintf("parec --latency-msec=%d", period*1000/48000), out: true, cmd: func() *exec.Cmd {
			c := srv.Command(self, "-child", "-id", be+":"+pulse.Monitor+"?server="+srv.Addr, "-period", fmt.Sprint(period), fmt.Sprintf("-pull=%v", pull))
			if goCallback {
				c.Env = append(c.Env, "MINIAV_MALGO_GOCALLBACK=1")
			}
			c.Env = append(c.Env, env...)
			return c
		}}
	}
	parecTool := func(name string, args ...string) tool {
		return tool{name: name, peer: name, cmd: func() *exec.Cmd {
			return srv.Command("parec", append([]string{"--device=" + pulse.Monitor, "--rate=48000", "--channels=2", "--format=s16le", "--raw"}, args...)...)
		}}
	}
	// The calibration row: a Go process woken through the netpoller once
	// per period by a pipe its parent writes, with no audio at all. It is
	// not a lower bound: the pure-Go pulse reader, woken by the server's
	// socket, costs less (BENCHMARKS.md).
	floorTool := func(period int) tool {
		ms := period * 1000 / 48000
		return tool{name: fmt.Sprintf("Go pipe waiter, %d ms (no audio)", ms), peer: fmt.Sprintf("parec --latency-msec=%d", ms), out: true, cmd: func() *exec.Cmd {
			r, w, err := os.Pipe()
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			c := exec.Command(self, "-floor")
			c.ExtraFiles = []*os.File{r}
			go func() {
				defer r.Close()
				defer w.Close()
				tick := time.NewTicker(time.Duration(period) * time.Second / 48000)
				defer tick.Stop()
				end := time.After(d + warm + 5*time.Second)
				for {
					select {
					case <-tick.C:
						if _, err := w.Write([]byte{1}); err != nil {
							return
						}
					case <-end:
						return
					}
				}
			}()
			return c
		}}
	}
	tools := []tool{
		miniavTool("malgo", *period, false, false),
		parecTool("parec --latency-msec=10", "--latency-msec=10"),
		miniavTool("malgo", *period, false, true),
		miniavTool("pulse", *period, false, false),
		miniavTool("pulse", *period, false, true),
		miniavTool("malgo", *period, false, true, "GOMAXPROCS=1"),
		miniavTool("malgo", 4800, false, false),
		miniavTool("malgo", 4800, false, true),
		miniavTool("pulse", 4800, false, false),
		miniavTool("pulse", 4800, false, true),
		parecTool("parec --latency-msec=100", "--latency-msec=100"),
		parecTool("parec (default latency)"),
		floorTool(480),
	}
	if *goCB {
		tools = append(tools, miniavTool("malgo", *period, true, false), miniavTool("malgo", 4800, true, false))
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		kept := tools[:0]
		for i, t := range tools {
			if i == 1 || re.MatchString(t.name) {
				kept = append(kept, t)
			}
		}
		tools = kept
	}
	res := map[string][]result{}
	for r := 0; r < *rounds; r++ {
		for _, t := range tools {
			c := t.cmd()
			devnull, _ := os.Open(os.DevNull)
			var out strings.Builder
			if t.out {
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
			time.Sleep(warm)
			s0 := proccpu.Seconds(c.Process.Pid)
			th0 := proccpu.Threads(c.Process.Pid)
			t0 := time.Now()
			time.Sleep(d)
			s1 := proccpu.Seconds(c.Process.Pid)
			if *perThread {
				th1 := proccpu.Threads(c.Process.Pid)
				for k, v := range th1 {
					fmt.Fprintf(os.Stderr, "   thread %-24s %.3f s/min\n", k, (v-th0[k])*time.Minute.Seconds()/d.Seconds())
				}
			}
			steady := (s1 - s0) * time.Minute.Seconds() / time.Since(t0).Seconds()
			c.Process.Signal(syscall.SIGTERM)
			c.Wait()
			wall := time.Since(start)
			d1 := proccpu.Seconds(srv.Pid())
			perMin := time.Minute.Seconds() / wall.Seconds()
			res[t.name] = append(res[t.name], result{t.name, steady, rusageCPU(c.ProcessState) * perMin, (d1 - d0) * perMin})
			fmt.Fprintf(os.Stderr, "round %d %-38s wall %.1fs client %.3fs (steady %.3f s/min) daemon %.2fs %s\n", r+1, t.name, wall.Seconds(), rusageCPU(c.ProcessState), steady, d1-d0, strings.TrimSpace(out.String()))
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
	fmt.Printf("%-38s %8s %8s %8s %8s %8s %8s %8s %10s\n", "tool", "steady", "ratio", "client", "ratio", "daemon", "total", "ratio", "same-per.")
	base := "parec --latency-msec=10"
	bs := med(res[base], func(r result) float64 { return r.steady })
	bc := med(res[base], func(r result) float64 { return r.client })
	bt := bc + med(res[base], func(r result) float64 { return r.daemn })
	for _, t := range tools {
		st := med(res[t.name], func(r result) float64 { return r.steady })
		c := med(res[t.name], func(r result) float64 { return r.client })
		dm := med(res[t.name], func(r result) float64 { return r.daemn })
		same := "-"
		if _, ok := res[t.peer]; ok {
			same = fmt.Sprintf("%.2fx", st/med(res[t.peer], func(r result) float64 { return r.steady }))
		}
		fmt.Printf("%-38s %8.3f %7.2fx %8.3f %7.2fx %8.3f %8.3f %7.2fx %10s\n", t.name, st, st/bs, c, c/bc, dm, c+dm, (c+dm)/bt, same)
	}
	fmt.Println("steady: the client's CPU from 2 s after start to the end; client: the whole run incl. start-up (getrusage)")
	fmt.Println("ratios are against parec --latency-msec=10 (lower is better); same-per.: steady CPU against parec at the same period")
}
