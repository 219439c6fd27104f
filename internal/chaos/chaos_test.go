//go:build chaos && linux && cgo

package chaos

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"image"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/malgo"
	pulsebackend "github.com/miniav-go/miniav/backend/pulse"
	"github.com/miniav-go/miniav/backend/testsrc"
	_ "github.com/miniav-go/miniav/backend/x11"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/pulse"
	"github.com/miniav-go/miniav/internal/testenv"
	"github.com/miniav-go/miniav/internal/xvfb"
	"github.com/miniav-go/miniav/metrics"
	"github.com/miniav-go/miniav/pool"
)

var (
	seedFlag     = flag.Uint64("chaos.seed", 0, "seed of the run's random decisions (0: from the clock; the seed is printed)")
	durationFlag = flag.Duration("chaos.duration", 0, "how long faults are injected (default $CHAOS_DURATION, or 60s)")
	workersFlag  = flag.Int("chaos.workers", 6, "concurrent stream workers")
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// sentinels are the errors every error of the run must match, in the
// order they are tried (a wrapped error may match several).
var sentinels = []struct {
	name string
	err  error
}{
	{"context.Canceled", context.Canceled},
	{"context.DeadlineExceeded", context.DeadlineExceeded},
	{"ErrClosed", miniav.ErrClosed},
	{"ErrDeviceLost", miniav.ErrDeviceLost},
	{"ErrNotFound", miniav.ErrNotFound},
	{"ErrBusy", miniav.ErrBusy},
	{"ErrReleased", miniav.ErrReleased},
	{"pool.ErrExhausted", pool.ErrExhausted},
}

// tally counts events by name; it is safe for concurrent use.
type tally struct {
	mu sync.Mutex
	m  map[string]uint64
}

func (c *tally) add(key string, n uint64) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]uint64{}
	}
	c.m[key] += n
	c.mu.Unlock()
}

func (c *tally) get(key string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

// sum adds the counts of the keys starting with prefix.
func (c *tally) sum(prefix string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n uint64
	for k, v := range c.m {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

func (c *tally) keys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ks []string
	for k := range c.m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// run is one chaos run: its servers, its targets and what it counted.
type run struct {
	t       *testing.T
	counts  tally
	clones  *pool.Pool
	metrics *metrics.Collector
	stop    atomic.Bool
	stopMu  sync.Mutex
	maxStop map[string]time.Duration // by target: the longest a reader took to return after its stream was stopped

	mu      sync.Mutex
	x       *xvfb.Server  // nil while killed or when the run has no Xvfb
	display string        // the display of the last Xvfb (stale while it is down)
	p       *pulse.Server // nil while killed or when the run has no PulseAudio
	paddr   string        // the address of the last daemon (stale while it is down)
}

// classify finds the sentinel err matches and counts it under where; an
// error that matches none, or none of allowed, fails the test.
func (r *run) classify(where string, err error, allowed ...error) string {
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			if len(allowed) > 0 && !slices.ContainsFunc(allowed, func(a error) bool { return errors.Is(s.err, a) }) {
				r.t.Errorf("%s: error matches %s, which is not expected there: %v", where, s.name, err)
			}
			r.counts.add("errors/"+where+"/"+s.name, 1)
			return s.name
		}
	}
	r.t.Errorf("%s: error matches no sentinel: %v (%T)", where, err, err)
	r.counts.add("errors/"+where+"/UNMATCHED", 1)
	return "UNMATCHED"
}

// stopLatency records how long a reader took to return after its stream
// was stopped.
func (r *run) stopLatency(target string, d time.Duration) {
	r.stopMu.Lock()
	defer r.stopMu.Unlock()
	if r.maxStop == nil {
		r.maxStop = map[string]time.Duration{}
	}
	r.maxStop[target] = max(r.maxStop[target], d)
}

// target is a kind of stream the workers open.
type target struct {
	name string
	// make returns the device ID and options of a new stream, and the
	// fault the stream carries itself ("" if none).
	make func(rng *rand.Rand, r *run) (id string, opts []miniav.Option, fault string)
}

func (r *run) targets() []target {
	ts := []target{
		{"testsrc-camera", func(rng *rand.Rand, _ *run) (string, []miniav.Option, string) {
			id, fault := "testsrc:camera", ""
			if rng.IntN(4) == 0 {
				id += fmt.Sprintf("?lose=%d", 3+rng.IntN(60))
				fault = "testsrc device lost (lose=N)"
			}
			return id, []miniav.Option{miniav.WithVideo(format.Video{Width: 320, Height: 240, PixelFormat: format.I420, FrameRate: format.FPS(30)})}, fault
		}},
		{"testsrc-microphone", func(rng *rand.Rand, _ *run) (string, []miniav.Option, string) {
			id, fault := "testsrc:microphone?freq=1000", ""
			if rng.IntN(4) == 0 {
				id += fmt.Sprintf("&lose=%d", 5+rng.IntN(200))
				fault = "testsrc device lost (lose=N)"
			}
			return id, []miniav.Option{miniav.WithAudio(format.Audio{SampleRate: 48000, Channels: 1, SampleFormat: format.S16})}, fault
		}},
	}
	if r.display != "" {
		ts = append(ts, target{"x11", func(rng *rand.Rand, r *run) (string, []miniav.Option, string) {
			r.mu.Lock()
			id := "x11:" + r.display
			r.mu.Unlock()
			if rng.IntN(4) == 0 {
				id += "?shm=0"
			}
			w, h := 64+2*rng.IntN(128), 48+2*rng.IntN(96)
			x, y := rng.IntN(1920-w), rng.IntN(1080-h)
			return id, []miniav.Option{miniav.WithRegion(image.Rect(x, y, x+w, y+h)), miniav.WithCursor(rng.IntN(3) == 0)}, ""
		}})
	}
	if r.paddr != "" {
		audio := miniav.WithAudio(format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.S16, PeriodFrames: 480})
		ts = append(ts, target{"pulse", func(rng *rand.Rand, r *run) (string, []miniav.Option, string) {
			r.mu.Lock()
			addr := r.paddr
			r.mu.Unlock()
			src := []string{pulse.Monitor, "", pulsebackend.Loopback, pulse.Mic}[rng.IntN(4)]
			return "pulse:" + src + "?server=" + addr, []miniav.Option{audio}, ""
		}}, target{"malgo", func(rng *rand.Rand, r *run) (string, []miniav.Option, string) {
			r.mu.Lock()
			addr := r.paddr
			r.mu.Unlock()
			src := []string{pulse.Monitor, "", pulse.Mic}[rng.IntN(3)]
			return "malgo:" + src + "?backend=pulseaudio&watchdog=1s&server=" + addr, []miniav.Option{audio}, ""
		}})
	}
	return ts
}

// held is a frame reference the run holds, with the checksum of its
// bytes at receipt.
type held struct {
	f      miniav.Frame
	sum    uint32
	n      int
	seq    uint64
	target string
}

func checksum(f miniav.Frame) (uint32, int) {
	if f.Kind() == miniav.AudioFrame {
		d := f.Audio().Data()
		return crc32.ChecksumIEEE(d), len(d)
	}
	v := f.Video()
	var c uint32
	n := 0
	for i := range v.NumPlanes() {
		c = crc32.Update(c, crc32.IEEETable, v.Plane(i))
		n += len(v.Plane(i))
	}
	return c, n
}

func hold(f miniav.Frame, target string) held {
	s, n := checksum(f)
	return held{f: f, sum: s, n: n, seq: f.Sequence(), target: target}
}

// verify checks that h's bytes are those it had at receipt.
func (r *run) verify(h held, when string) {
	if !h.f.Valid() {
		r.t.Errorf("%s frame %d: handle no longer valid %s", h.target, h.seq, when)
		return
	}
	if s, n := checksum(h.f); s != h.sum || n != h.n || h.f.Sequence() != h.seq {
		r.t.Errorf("%s frame %d: bytes changed while held (%s): crc %08x of %d bytes at receipt, %08x of %d now, sequence %d",
			h.target, h.seq, when, h.sum, h.n, s, n, h.f.Sequence())
		r.counts.add("checks/corrupted frames", 1)
	}
	r.counts.add("checks/checksums verified", 1)
}

// release verifies h and drops its reference.
func (r *run) release(h held, when string) {
	r.verify(h, when)
	if err := h.f.Release(); err != nil {
		r.t.Errorf("%s frame %d: Release (%s): %v", h.target, h.seq, when, err)
	}
}

// session is one stream's life in a worker.
type session struct {
	r           *run
	rng         *rand.Rand
	tg          target
	pull        bool
	s           *miniav.Stream
	slow        time.Duration // a consumer this slow per frame makes the queue policies act
	received    uint64
	releaseErrs uint64
	held        []held // released while the stream runs
	tail        []held // released after the stream closed
	fanout      sync.WaitGroup
}

func (r *run) worker(rng *rand.Rand, targets []target) {
	for !r.stop.Load() {
		ss := &session{r: r, rng: rng, tg: targets[rng.IntN(len(targets))]}
		ss.run()
	}
}

func (ss *session) run() {
	r, rng := ss.r, ss.rng
	id, opts, fault := ss.tg.make(rng, r)
	ss.pull = rng.IntN(3) == 0
	if rng.IntN(3) == 0 {
		ss.slow = time.Duration(1+rng.IntN(60)) * time.Millisecond
	}
	opts = append(opts, miniav.WithLogger(quiet), miniav.WithMetrics(r.metrics), miniav.WithName(ss.tg.name), miniav.WithClonePool(r.clones))
	mode := "channel"
	if ss.pull {
		opts = append(opts, miniav.WithPull())
		mode = "pull"
	} else {
		opts = append(opts, miniav.WithPolicy(miniav.Policy(rng.IntN(3))), miniav.WithQueue(1+rng.IntN(6)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if rng.IntN(30) == 0 {
		cancel() // a context already done at Open
	}
	t0 := time.Now()
	s, err := miniav.Open(ctx, id, opts...)
	if d := time.Since(t0); d > 10*time.Second {
		r.t.Errorf("Open(%s) took %v", id, d)
	}
	if err != nil {
		r.classify("open/"+ss.tg.name, err, context.Canceled, miniav.ErrNotFound, miniav.ErrDeviceLost)
		time.Sleep(time.Duration(10+rng.IntN(90)) * time.Millisecond)
		return
	}
	ss.s = s
	r.counts.add("streams opened/"+ss.tg.name+"/"+mode, 1)
	if fault != "" {
		r.counts.add("faults/"+fault, 1)
	}

	// How the stream ends: Close from another goroutine while the reader
	// waits, cancellation of its context, Close by the reader itself
	// after some frames, or the device's own end (with a Close after a
	// while in case it does not come).
	end := rng.IntN(4)
	lifetime := time.Duration(100+rng.IntN(2500)) * time.Millisecond
	maxFrames := 1 + rng.IntN(60)
	var stoppedAt atomic.Int64
	if end == 3 {
		lifetime *= 3
	}
	stopper := time.AfterFunc(lifetime, func() {
		stoppedAt.Store(time.Now().UnixNano())
		if end == 1 {
			cancel()
		} else {
			s.Close()
		}
	})
	endName := [...]string{"Close while reading", "cancel", "Close by the reader", "device end"}[end]
	r.counts.add("stream ends requested/"+endName, 1)

	var stopErr error
	if !ss.pull && rng.IntN(2) == 0 {
		for f := range s.Frames() {
			ss.frame(f)
			if end == 2 && ss.received == uint64(maxFrames) {
				stoppedAt.Store(time.Now().UnixNano())
				s.Close()
			}
		}
		stopErr = s.Err()
	} else {
		for {
			f, err := s.Next()
			if err != nil {
				stopErr = err
				break
			}
			ss.frame(f)
			if end == 2 && ss.received == uint64(maxFrames) {
				stoppedAt.Store(time.Now().UnixNano())
				s.Close()
			}
		}
		if stopErr == nil {
			r.t.Errorf("%s: Next returned no frame and no error", id)
		}
	}
	if at := stoppedAt.Load(); at != 0 {
		d := time.Since(time.Unix(0, at))
		r.stopLatency(ss.tg.name, d)
		if d > 10*time.Second {
			r.t.Errorf("%s (%s): the reader returned %v after the stream was stopped", id, mode, d)
		}
	}
	if stopErr != nil {
		r.classify("stream end/"+ss.tg.name, stopErr, miniav.ErrClosed, context.Canceled, miniav.ErrDeviceLost)
	} else {
		r.counts.add("errors/stream end/"+ss.tg.name+"/nil (closed)", 1)
	}
	stopper.Stop()
	if err := s.Close(); err != nil {
		r.t.Errorf("%s: Close: %v", id, err)
	}
	// Next on a stopped stream: ErrClosed, or why it stopped.
	if _, err := s.Next(); err == nil {
		r.t.Errorf("%s: Next after Close returned a frame", id)
	} else {
		r.classify("next after close", err, miniav.ErrClosed, context.Canceled, miniav.ErrDeviceLost)
	}
	for _, h := range ss.held {
		r.release(h, "after the stream closed")
	}
	for _, h := range ss.tail {
		r.release(h, "held across Close")
	}
	ss.fanout.Wait()
	ss.check(id, mode)
}

// frame does one of the things a consumer does with a frame.
func (ss *session) frame(f miniav.Frame) {
	r, rng := ss.r, ss.rng
	ss.received++
	r.counts.add("frames/"+ss.tg.name, 1)
	if !f.Valid() {
		r.t.Errorf("%s: received an invalid frame", ss.tg.name)
		return
	}
	if ss.tg.name == "testsrc-camera" {
		v := f.Video()
		planes, strides := make([][]byte, v.NumPlanes()), make([]int, v.NumPlanes())
		for i := range planes {
			planes[i], strides[i] = v.Plane(i), v.Stride(i)
		}
		if k, ok := testsrc.DecodeIndex(v.Video, planes, strides); !ok || k != uint32(f.Sequence()) {
			r.t.Errorf("testsrc frame %d carries index %d (readable %v)", f.Sequence(), k, ok)
		}
	}
	if ss.slow > 0 {
		time.Sleep(time.Duration(rng.Int64N(int64(ss.slow))))
	}
	h := hold(f, ss.tg.name)
	switch p := rng.IntN(100); {
	case p < 35:
		r.release(h, "at once")
	case p < 55: // hold a while
		r.counts.add("frame ops/held", 1)
		ss.held = append(ss.held, h)
		if len(ss.held) > 2 {
			r.release(ss.held[0], "after holding")
			ss.held = slices.Delete(ss.held, 0, 1)
		}
	case p < 75: // Retain fan-out to other goroutines
		r.counts.add("frame ops/fan-out", 1)
		k := 1 + rng.IntN(3)
		for range k {
			if err := f.Retain(); err != nil {
				r.t.Errorf("%s frame %d: Retain: %v", ss.tg.name, h.seq, err)
				continue
			}
			r.counts.add("frame ops/retains", 1)
			d := time.Duration(rng.IntN(40)) * time.Millisecond
			ss.fanout.Add(1)
			go func() {
				defer ss.fanout.Done()
				time.Sleep(d)
				r.release(h, "in a fan-out goroutine")
			}()
		}
		r.release(h, "after fan-out")
	case p < 85: // double release and a stale handle
		r.counts.add("frame ops/double release", 1)
		r.release(h, "before a double release")
		if err := f.Release(); !errors.Is(err, miniav.ErrReleased) {
			r.t.Errorf("%s: second Release = %v, want ErrReleased", ss.tg.name, err)
		} else {
			r.classify("double release", err, miniav.ErrReleased)
		}
		if err := f.Retain(); !errors.Is(err, miniav.ErrReleased) {
			r.t.Errorf("%s: Retain of a released frame = %v, want ErrReleased", ss.tg.name, err)
		} else {
			r.classify("retain after release", err, miniav.ErrReleased)
		}
		ss.releaseErrs += 2
		if f.Valid() || f.Video().NumPlanes() != 0 || f.Audio().Frames() != 0 || f.Kind() != miniav.NoFrame {
			r.t.Errorf("%s: a released handle still shows data", ss.tg.name)
		}
	case p < 93: // clone, then keep only the clone
		r.counts.add("frame ops/clone", 1)
		c, err := f.Clone()
		r.release(h, "after Clone")
		if err != nil {
			r.classify("clone", err, pool.ErrExhausted)
			return
		}
		ch := hold(c, ss.tg.name+" clone")
		if ch.sum != h.sum || ch.n != h.n || !c.Copied() {
			r.t.Errorf("%s: clone of frame %d differs: crc %08x of %d bytes, original %08x of %d", ss.tg.name, h.seq, ch.sum, ch.n, h.sum, h.n)
		}
		ss.held = append(ss.held, ch)
	default: // held across Close
		r.counts.add("frame ops/held across close", 1)
		ss.tail = append(ss.tail, h)
		if len(ss.tail) > 2 {
			r.release(ss.tail[0], "after holding")
			ss.tail = slices.Delete(ss.tail, 0, 1)
		}
	}
}

// check asserts that the stream's counters add up once everything is
// released, and adds them to the run's.
func (ss *session) check(id, mode string) {
	r := ss.r
	st := ss.s.Stats()
	d := st.Dropped
	queue := d[backend.DropQueueOldest] + d[backend.DropQueueNewest] + d[backend.DropStopped]
	var problems []string
	if st.Outstanding != 0 {
		problems = append(problems, fmt.Sprintf("%d frames outstanding with every frame released", st.Outstanding))
	}
	if st.Leaked != 0 {
		problems = append(problems, fmt.Sprintf("%d frames leaked", st.Leaked))
	}
	if st.Queued != 0 {
		problems = append(problems, fmt.Sprintf("%d frames queued after Close", st.Queued))
	}
	if st.ReleaseErrs != ss.releaseErrs {
		problems = append(problems, fmt.Sprintf("%d release errors counted, the run made %d", st.ReleaseErrs, ss.releaseErrs))
	}
	if ss.pull {
		if st.Captured != ss.received || st.Delivered != ss.received || queue != 0 {
			problems = append(problems, fmt.Sprintf("pull: captured %d, delivered %d, queue drops %d, received %d", st.Captured, st.Delivered, queue, ss.received))
		}
	} else if st.Captured != ss.received+queue || st.Delivered < ss.received || st.Delivered > st.Captured {
		problems = append(problems, fmt.Sprintf("captured %d != received %d + queue drops %d; delivered %d", st.Captured, ss.received, queue, st.Delivered))
	}
	for _, p := range problems {
		r.t.Errorf("%s (%s) Stats %+v: %s", id, mode, st, p)
	}
	r.counts.add("stats/captured", st.Captured)
	r.counts.add("stats/delivered", st.Delivered)
	for i, n := range d {
		if n > 0 {
			r.counts.add("stats/dropped/"+backend.DropReason(i).String(), n)
		}
	}
}

// killX kills the X server with SIGKILL and removes the lock and socket it
// leaves behind.
func (r *run) killX() {
	r.mu.Lock()
	x := r.x
	r.x = nil
	r.mu.Unlock()
	if x == nil {
		return
	}
	x.Kill()
	n := strings.TrimPrefix(x.Display, ":")
	os.Remove("/tmp/.X" + n + "-lock")
	os.Remove("/tmp/.X11-unix/X" + n)
}

func (r *run) startX() {
	x := xvfb.Start(r.t)
	r.mu.Lock()
	r.x, r.display = x, x.Display
	r.mu.Unlock()
}

func (r *run) killPulse() {
	r.mu.Lock()
	p := r.p
	r.p = nil
	r.mu.Unlock()
	if p != nil {
		p.Kill()
		p.Close()
	}
}

func (r *run) startPulse() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := pulse.Start(ctx)
	if err != nil {
		r.t.Fatalf("restart PulseAudio: %v", err)
	}
	r.mu.Lock()
	r.p, r.paddr = p, p.Addr
	r.mu.Unlock()
}

// freeze stops the X server (x) or the audio daemon for d, then lets it
// go on.
func (r *run) freeze(x bool, d time.Duration) {
	r.mu.Lock()
	pid := 0
	if x && r.x != nil {
		pid = r.x.Pid()
	} else if !x && r.p != nil {
		pid = r.p.Pid()
	}
	r.mu.Unlock()
	if pid == 0 {
		return
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		r.t.Errorf("SIGSTOP %d: %v", pid, err)
		return
	}
	time.Sleep(d)
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		r.t.Errorf("SIGCONT %d: %v", pid, err)
	}
}

// conduct kills and restarts the servers at random moments until deadline.
func (r *run) conduct(rng *rand.Rand, deadline time.Time) {
	var kinds []string
	if r.display != "" {
		kinds = append(kinds, "SIGKILL Xvfb")
	}
	if r.paddr != "" {
		kinds = append(kinds, "SIGKILL PulseAudio")
	}
	if len(kinds) == 2 {
		kinds = append(kinds, "SIGKILL both")
	}
	// Freezes: the server stops answering (SIGSTOP) for the down time,
	// then resumes (SIGCONT), as a hung or swapped-out server would.
	if r.display != "" {
		kinds = append(kinds, "SIGSTOP Xvfb")
	}
	if r.paddr != "" {
		kinds = append(kinds, "SIGSTOP PulseAudio")
	}
	for {
		healthy := time.Duration(1000+rng.IntN(4000)) * time.Millisecond
		down := time.Duration(rng.IntN(1500)) * time.Millisecond
		if len(kinds) == 0 || time.Until(deadline) < healthy+down {
			time.Sleep(max(time.Until(deadline), 0))
			return
		}
		time.Sleep(healthy)
		k := kinds[rng.IntN(len(kinds))]
		if strings.HasPrefix(k, "SIGSTOP") {
			d, what := 2*down, k+" (0-3 s)"
			if rng.IntN(4) == 0 {
				// past the backends' own timeouts (malgo's Close: 5 s)
				d, what = 5*time.Second+2*down/3, k+" (5-6 s)"
			}
			r.counts.add("faults/"+what, 1)
			r.freeze(k == "SIGSTOP Xvfb", d)
			continue
		}
		r.counts.add("faults/"+k, 1)
		x, p := k != "SIGKILL PulseAudio", k != "SIGKILL Xvfb"
		if x {
			r.killX()
		}
		if p {
			r.killPulse()
		}
		time.Sleep(down)
		if x {
			r.startX()
		}
		if p {
			r.startPulse()
		}
	}
}

func duration(t *testing.T) time.Duration {
	if *durationFlag > 0 {
		return *durationFlag
	}
	if s := os.Getenv("CHAOS_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("CHAOS_DURATION=%q: %v", s, err)
		}
		return d
	}
	return 60 * time.Second
}

func TestChaos(t *testing.T) {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	dur := duration(t)
	t.Logf("chaos seed %d, %v of faults, %d workers (replay: go test -race -tags chaos ./internal/chaos -args -chaos.seed=%d)", seed, dur, *workersFlag, seed)

	// Warm up what the runtime and the backends open once per process
	// (the netpoller, the backends' shared pools), then take the snapshot
	// the end of the run is compared with.
	if s, err := miniav.Open(context.Background(), "testsrc:camera"); err != nil {
		t.Fatal(err)
	} else {
		f, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		f.Release()
		s.Close()
	}
	if pr, pw, err := os.Pipe(); err == nil {
		pr.Close()
		pw.Close()
	}
	before := snapshot()

	r := &run{t: t, clones: pool.New(pool.WithMaxBytes(4 << 20)), metrics: metrics.New()}
	if _, err := exec.LookPath("Xvfb"); err != nil {
		if testenv.InCI() {
			t.Fatalf("CI=true and Xvfb is missing: %v", err)
		}
		t.Logf("no Xvfb: the run has no x11 streams (run scripts/test.sh to install it)")
	} else {
		r.startX()
	}
	if p, err := pulse.Start(context.Background()); errors.Is(err, pulse.ErrMissing) {
		if testenv.InCI() {
			t.Fatalf("CI=true and PulseAudio is missing: %v", err)
		}
		t.Logf("no PulseAudio: the run has no pulse or malgo streams (%v)", err)
	} else if err != nil {
		r.killX()
		t.Fatal(err)
	} else {
		r.p, r.paddr = p, p.Addr
	}
	targets := r.targets()
	var names []string
	for _, tg := range targets {
		names = append(names, tg.name)
	}
	t.Logf("targets: %s", strings.Join(names, ", "))

	var workers sync.WaitGroup
	finish := func() {
		r.stop.Store(true)
		done := make(chan struct{})
		go func() { workers.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			buf := make([]byte, 8<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("hang: workers still running 60 s after the end of the run:\n%s", buf)
			<-done // the goroutines must not outlive the test
		}
		r.killX()
		r.killPulse()
	}
	defer func() {
		if !r.stop.Load() { // a Fatal of the conductor
			finish()
		}
	}()
	start := time.Now()
	for i := range *workersFlag {
		workers.Add(1)
		go func() {
			defer workers.Done()
			r.worker(rand.New(rand.NewPCG(seed, uint64(i)+1)), targets)
		}()
	}
	r.conduct(rand.New(rand.NewPCG(seed, 0)), start.Add(dur))
	finish()
	t.Logf("ran %v", time.Since(start).Round(time.Millisecond))

	// Nothing is left.
	for name, st := range map[string]pool.Stats{"backend/pulse": pulsebackend.PoolStats(), "backend/malgo": malgo.PoolStats(), "clone pool": r.clones.Stats()} {
		if st.Outstanding != 0 {
			t.Errorf("%s: %d pooled buffers outstanding at the end: %+v", name, st.Outstanding, st)
		}
		r.counts.add("end/pool buffers outstanding/"+name, uint64(st.Outstanding))
	}
	r.checkMetrics()
	fds, shm, gs := before.check(t, 10*time.Second)
	r.counts.add("end/file descriptors left", uint64(fds))
	r.counts.add("end/SysV segments left", uint64(shm))
	r.counts.add("end/goroutines left", uint64(gs))
	if r.counts.get("checks/corrupted frames") != 0 {
		t.Errorf("%d frames changed while held", r.counts.get("checks/corrupted frames"))
	}
	if r.counts.sum("streams opened/") == 0 || r.counts.sum("frames/") == 0 {
		t.Errorf("the run opened %d streams and received %d frames", r.counts.sum("streams opened/"), r.counts.sum("frames/"))
	}
	r.report(seed, dur)
}

// checkMetrics asserts that the metrics of every series show no stream
// open, nothing queued and no frame outstanding.
func (r *run) checkMetrics() {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(r.metrics)
	mfs, err := reg.Gather()
	if err != nil {
		r.t.Fatal(err)
	}
	seen := 0
	for _, mf := range mfs {
		switch mf.GetName() {
		case "miniav_buffers_outstanding", "miniav_queue_length", "miniav_streams_open":
			for _, m := range mf.GetMetric() {
				seen++
				if v := m.GetGauge().GetValue(); v != 0 {
					r.t.Errorf("metrics: %s %v = %v at the end, want 0", mf.GetName(), m.GetLabel(), v)
				}
			}
		}
	}
	if seen == 0 {
		r.t.Errorf("metrics: no gauges gathered")
	}
}

// report logs the run's figures and writes them to $CHAOS_REPORT.
func (r *run) report(seed uint64, dur time.Duration) {
	var b strings.Builder
	fmt.Fprintf(&b, "| chaos run (seed %d, %v of faults, %d workers) | count |\n|---|---:|\n", seed, dur, *workersFlag)
	for _, k := range r.counts.keys() {
		fmt.Fprintf(&b, "| %s | %d |\n", k, r.counts.get(k))
	}
	r.stopMu.Lock()
	var stops []string
	for k := range r.maxStop {
		stops = append(stops, k)
	}
	sort.Strings(stops)
	for _, k := range stops {
		fmt.Fprintf(&b, "| longest return of a reader after stop (ms)/%s | %d |\n", k, r.maxStop[k].Milliseconds())
	}
	r.stopMu.Unlock()
	fmt.Fprintf(&b, "| total streams opened | %d |\n| total frames received | %d |\n| total faults injected | %d |\n",
		r.counts.sum("streams opened/"), r.counts.sum("frames/"), r.counts.sum("faults/"))
	r.t.Logf("figures:\n%s", b.String())
	if p := os.Getenv("CHAOS_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			r.t.Errorf("CHAOS_REPORT: %v", err)
		}
	}
}
