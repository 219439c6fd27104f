package miniav_test

import (
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/pool"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// small is a cheap, fast camera format for tests.
var small = format.Video{Width: 128, Height: 64, PixelFormat: format.I420, FrameRate: format.FPS(200)}

func open(t *testing.T, ctx context.Context, id string, opts ...miniav.Option) *miniav.Stream {
	t.Helper()
	s, err := miniav.Open(ctx, id, opts...)
	if err != nil {
		t.Fatalf("Open(%q): %v", id, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// index decodes the frame index the synthetic camera stamped into f.
func index(t *testing.T, f miniav.Frame) uint64 {
	t.Helper()
	v := f.Video()
	var planes [][]byte
	var strides []int
	for i := range v.NumPlanes() {
		planes = append(planes, v.Plane(i))
		strides = append(strides, v.Stride(i))
	}
	k, ok := testsrc.DecodeIndex(v.Video, planes, strides)
	if !ok {
		t.Fatalf("frame %d: no readable index stamp", f.Sequence())
	}
	return uint64(k)
}

func recv(t *testing.T, s *miniav.Stream) miniav.Frame {
	t.Helper()
	select {
	case f, ok := <-s.Frames():
		if !ok {
			t.Fatalf("stream closed: %v", s.Err())
		}
		return f
	case <-time.After(10 * time.Second):
		t.Fatal("no frame within 10s")
	}
	panic("unreachable")
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		id   string
		opts []miniav.Option
		want error
	}{
		{"testsrc:nope", nil, miniav.ErrNotFound},
		{"nosuchbackend:/dev/video0", nil, miniav.ErrNotFound},
		{"camera", nil, miniav.ErrNotFound},
		{"", nil, miniav.ErrNotFound},
		{"testsrc:camera", []miniav.Option{miniav.WithVideo(format.Video{PixelFormat: format.H264})}, miniav.ErrNotSupported},
		{"testsrc:camera", []miniav.Option{miniav.WithVideo(format.Video{Width: 641, Height: 480})}, miniav.ErrNotSupported},
		{"testsrc:camera", []miniav.Option{miniav.WithVideo(format.Video{FrameRate: format.FPS(100000)})}, miniav.ErrNotSupported},
		{"testsrc:microphone", []miniav.Option{miniav.WithAudio(format.Audio{SampleFormat: format.S24})}, miniav.ErrNotSupported},
		{"testsrc:microphone?freq=30000", nil, miniav.ErrNotSupported},
		{"testsrc:camera?bogus=1", nil, miniav.ErrNotSupported},
		{"testsrc:camera", []miniav.Option{miniav.WithQueue(0)}, miniav.ErrInvalid},
		{"testsrc:camera", []miniav.Option{miniav.WithPolicy(miniav.Policy(9))}, miniav.ErrInvalid},
		{"testsrc:camera", []miniav.Option{miniav.WithBuffers(-1)}, miniav.ErrInvalid},
	}
	for _, c := range cases {
		s, err := miniav.Open(ctx, c.id, c.opts...)
		if !errors.Is(err, c.want) {
			t.Errorf("Open(%q) = %v, want an error matching %v", c.id, err, c.want)
		}
		if s != nil {
			s.Close()
			t.Errorf("Open(%q) returned a stream with an error", c.id)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := miniav.Open(cancelled, "testsrc:camera"); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context = %v", err)
	}
}

func TestNegotiatedFormat(t *testing.T) {
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(format.Video{PixelFormat: format.NV12}))
	in := s.Info()
	want := format.Video{Width: 640, Height: 480, PixelFormat: format.NV12, FrameRate: format.FPS(30)}
	if in.Video != want || in.Kind != backend.KindCamera || in.Policy != miniav.DropOldest || in.Queue != miniav.DefaultQueue || in.Name != "testsrc:camera" {
		t.Fatalf("Info = %+v", in)
	}
	f := recv(t, s)
	defer f.Release()
	v := f.Video()
	if v.Video != want || v.NumPlanes() != 2 || len(v.Plane(0)) != 640*480 || len(v.Plane(1)) != 640*240 || v.Stride(0) != 640 || v.Stride(1) != 640 {
		t.Fatalf("frame view: %+v planes %d/%d", v.Video, len(v.Plane(0)), len(v.Plane(1)))
	}
	if f.Kind() != miniav.VideoFrame || f.Audio().Frames() != 0 || f.Stream() != "testsrc:camera" {
		t.Fatalf("kind %v, audio %d, stream %q", f.Kind(), f.Audio().Frames(), f.Stream())
	}
}

// With Block and a consumer that keeps up, every frame arrives once, in
// order, with the pixels of that frame.
func TestBlockLosesNothing(t *testing.T) {
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small), miniav.WithPolicy(miniav.Block), miniav.WithUnpaced())
	for want := uint64(0); want < 300; want++ {
		f := recv(t, s)
		if f.Sequence() != want || index(t, f) != want {
			t.Fatalf("frame %d: sequence %d, stamped index %d", want, f.Sequence(), index(t, f))
		}
		if err := f.Release(); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	st := s.Stats()
	if st.Dropped[backend.DropQueueOldest]+st.Dropped[backend.DropQueueNewest]+st.Dropped[backend.DropDevice] != 0 {
		t.Fatalf("drops under Block with a keeping-up consumer: %+v", st.Dropped)
	}
	if st.Outstanding != 0 {
		t.Fatalf("outstanding = %d after all releases", st.Outstanding)
	}
}

// A paced device that the Block policy holds up loses frames on its side:
// after a stall it resumes at the current frame (no burst) and the gap is
// counted as a device drop.
func TestBlockStallMakesDeviceDrops(t *testing.T) {
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small), miniav.WithPolicy(miniav.Block), miniav.WithQueue(1))
	first := recv(t, s)
	first.Release()
	time.Sleep(300 * time.Millisecond) // 60 frame intervals at 200 fps
	var seqs []uint64
	for range 4 {
		f := recv(t, s)
		seqs = append(seqs, f.Sequence())
		f.Release()
	}
	// One frame was queued during the stall and the capture loop waited
	// to hand over the next; then it resumed at the current tick.
	if seqs[0] != 1 || seqs[1] != 2 || seqs[2]-seqs[1] < 20 {
		t.Fatalf("sequences after a stall: %v: expected a jump of tens of frames, not a burst", seqs)
	}
	if d := s.Stats().Dropped[backend.DropDevice]; d < 20 {
		t.Fatalf("device drops = %d, want the skipped frames counted", d)
	}
	if q := s.Stats().Dropped[backend.DropQueueOldest] + s.Stats().Dropped[backend.DropQueueNewest]; q != 0 {
		t.Fatalf("queue drops under Block: %d", q)
	}
}

func TestDropOldestKeepsNewest(t *testing.T) {
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small), miniav.WithQueue(3))
	waitFor(t, "drops", func() bool { return s.Stats().Dropped[backend.DropQueueOldest] >= 10 })
	before := s.Stats().Captured
	var last uint64
	for i := range 3 {
		f := recv(t, s)
		if i > 0 && f.Sequence() <= last {
			t.Fatalf("sequence went from %d to %d", last, f.Sequence())
		}
		if index(t, f) != f.Sequence() {
			t.Fatalf("stamp %d != sequence %d", index(t, f), f.Sequence())
		}
		if i == 0 && f.Sequence()+3 < before-1 {
			t.Fatalf("first frame after the stall is %d but %d were captured: not the newest", f.Sequence(), before)
		}
		last = f.Sequence()
		f.Release()
	}
}

func TestDropNewestKeepsOldest(t *testing.T) {
	// Unpaced, the source loses no tick to a late timer (Windows' timers are
	// coarse), so the oldest frames are exactly 0, 1 and 2.
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small), miniav.WithQueue(3), miniav.WithPolicy(miniav.DropNewest), miniav.WithUnpaced())
	waitFor(t, "drops", func() bool { return s.Stats().Dropped[backend.DropQueueNewest] >= 10 })
	for want := uint64(0); want < 3; want++ {
		f := recv(t, s)
		if f.Sequence() != want {
			t.Fatalf("got frame %d, want the oldest frames 0,1,2 kept", f.Sequence())
		}
		f.Release()
	}
}

func TestOutstandingReturnsToZero(t *testing.T) {
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small), miniav.WithQueue(2), miniav.WithBuffers(8))
	var held []miniav.Frame
	for range 5 {
		held = append(held, recv(t, s))
	}
	if o := s.Stats().Outstanding; o < 5 {
		t.Fatalf("outstanding = %d while holding 5", o)
	}
	s.Close()
	for _, f := range held {
		if err := f.Release(); err != nil {
			t.Fatal(err)
		}
	}
	if o := s.Stats().Outstanding; o != 0 {
		t.Fatalf("outstanding = %d after releasing everything", o)
	}
}

func TestHeldFramesSurviveClose(t *testing.T) {
	for _, cancel := range []bool{false, true} {
		ctx, stop := context.WithCancel(context.Background())
		s := open(t, ctx, "testsrc:camera", miniav.WithVideo(format.Video{Width: 256, Height: 128, PixelFormat: format.YUYV, FrameRate: format.FPS(200)}), miniav.WithBuffers(8))
		var held []miniav.Frame
		var sums []uint32
		for range 4 {
			f := recv(t, s)
			held = append(held, f)
			sums = append(sums, crc32.ChecksumIEEE(f.Video().Plane(0)))
		}
		if cancel {
			stop()
			<-s.Done()
		} else {
			s.Close()
		}
		stop()
		for range s.Frames() {
			t.Fatal("frames left in the queue after stop")
		}
		time.Sleep(20 * time.Millisecond) // a source that reused memory would have done so by now
		for i, f := range held {
			if got := crc32.ChecksumIEEE(f.Video().Plane(0)); got != sums[i] {
				t.Fatalf("frame %d changed after stop", i)
			}
			if index(t, f) != f.Sequence() {
				t.Fatalf("frame %d stamp changed", i)
			}
			f.Release()
		}
		if o := s.Stats().Outstanding; o != 0 {
			t.Fatalf("outstanding = %d", o)
		}
	}
}

func TestCancelUnblocksBlockedSend(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := open(t, ctx, "testsrc:camera", miniav.WithVideo(small), miniav.WithPolicy(miniav.Block), miniav.WithQueue(1), miniav.WithUnpaced())
	waitFor(t, "a full queue", func() bool { return s.QueueLen() == 1 && s.Stats().Captured >= 2 })
	cancel()
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("capture goroutine still blocked 5s after cancel")
	}
	if err := s.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err() = %v, want context.Canceled", err)
	}
	if _, ok := <-s.Frames(); ok {
		t.Fatal("Frames not closed")
	}
	st := s.Stats()
	if st.Outstanding != 0 || st.Dropped[backend.DropStopped] < 2 {
		t.Fatalf("after cancel: %+v (want the queued and the blocked frame released as stopped)", st)
	}
}

func TestErrAfterCloseAndDeviceLoss(t *testing.T) {
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small))
	if s.Err() != nil {
		t.Fatal("Err while running")
	}
	s.Close()
	s.Close() // idempotent
	if err := s.Err(); err != nil {
		t.Fatalf("Err after Close = %v", err)
	}

	lost := open(t, context.Background(), "testsrc:camera?lose=5", miniav.WithVideo(small), miniav.WithPolicy(miniav.Block))
	n := 0
	for f := range lost.Frames() {
		n++
		f.Release()
	}
	if n != 5 || !errors.Is(lost.Err(), miniav.ErrDeviceLost) {
		t.Fatalf("got %d frames, Err = %v; want 5 frames then ErrDeviceLost", n, lost.Err())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	timed := open(t, ctx, "testsrc:camera", miniav.WithVideo(small))
	for f := range timed.Frames() {
		f.Release()
	}
	if !errors.Is(timed.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err after deadline = %v", timed.Err())
	}
}

func TestDoubleRelease(t *testing.T) {
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small), miniav.WithPolicy(miniav.Block))
	f := recv(t, s)
	seq := f.Sequence()
	if err := f.Release(); err != nil {
		t.Fatal(err)
	}
	if err := f.Release(); !errors.Is(err, miniav.ErrReleased) {
		t.Fatalf("second Release = %v, want ErrReleased", err)
	}
	if err := f.Retain(); !errors.Is(err, miniav.ErrReleased) {
		t.Fatalf("Retain after Release = %v", err)
	}
	if f.Valid() || f.Video().NumPlanes() != 0 || f.Sequence() != 0 {
		t.Fatal("a released handle still exposes data")
	}
	// The frame object is reused for later frames; the stale handle must
	// not touch them.
	var later []miniav.Frame
	for range 4 {
		later = append(later, recv(t, s))
	}
	if err := f.Release(); !errors.Is(err, miniav.ErrReleased) {
		t.Fatalf("stale Release = %v", err)
	}
	for _, g := range later {
		if !g.Valid() || g.Sequence() <= seq {
			t.Fatalf("later frame %d damaged by a stale release", g.Sequence())
		}
		if err := g.Release(); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Stats().ReleaseErrs; got != 3 {
		t.Fatalf("ReleaseErrs = %d, want 3", got)
	}
	var zero miniav.Frame
	if zero.Release() == nil || zero.Retain() == nil || zero.Valid() {
		t.Fatal("zero Frame accepted Release/Retain")
	}
}

func TestLeakedFrameIsReclaimed(t *testing.T) {
	var log bytes.Buffer
	sw := &syncWriter{w: &log}
	logger := slog.New(slog.NewTextHandler(sw, nil))
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small), miniav.WithPolicy(miniav.Block), miniav.WithLogger(logger), miniav.WithName("leaky"))
	func() {
		f := recv(t, s)
		_ = f.Sequence() // dropped on the floor without Release
	}()
	// Take and release the rest so only the leaked frame is outstanding.
	waitFor(t, "the leak to be reclaimed", func() bool {
		runtime.GC()
		select {
		case f := <-s.Frames():
			f.Release()
		default:
		}
		return s.Stats().Leaked == 1
	})
	s.Close()
	if st := s.Stats(); st.Leaked != 1 || st.Outstanding != 0 {
		t.Fatalf("after GC: %+v", st)
	}
	if out := sw.String(); strings.Count(out, "without Release") != 1 || !strings.Contains(out, "stream=leaky") {
		t.Fatalf("log = %q, want one warning naming the stream", out)
	}
}

// TestReportLeak: a frame reported as leaked counts once, stays valid, and
// its Release still gives the buffer back; a later frame reusing the same
// memory can be reported again; a released frame is not counted.
func TestReportLeak(t *testing.T) {
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small), miniav.WithPolicy(miniav.Block))
	defer s.Close()
	f := recv(t, s)
	if !f.ReportLeak() || f.ReportLeak() {
		t.Fatal("ReportLeak did not count the frame exactly once")
	}
	if !f.Valid() || len(f.Video().Plane(0)) == 0 {
		t.Fatal("a reported frame lost its data")
	}
	if st := s.Stats(); st.Leaked != 1 || st.Outstanding < 1 {
		t.Fatalf("after ReportLeak: %+v", st)
	}
	if err := f.Release(); err != nil {
		t.Fatal(err)
	}
	if f.ReportLeak() {
		t.Fatal("a released frame was counted")
	}
	for range 8 { // the frame objects are reused: a new frame counts anew
		g := recv(t, s)
		g.ReportLeak()
		g.Release()
	}
	if st := s.Stats(); st.Leaked != 9 {
		t.Fatalf("Leaked = %d, want 9", st.Leaked)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.String()
}

func TestConcurrentRetainRelease(t *testing.T) {
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small), miniav.WithPolicy(miniav.Block), miniav.WithUnpaced())
	for range 50 {
		f := recv(t, s)
		want := crc32.ChecksumIEEE(f.Video().Plane(0))
		var wg sync.WaitGroup
		for range 8 {
			if err := f.Retain(); err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				if crc32.ChecksumIEEE(f.Video().Plane(0)) != want {
					t.Error("data changed while referenced")
				}
				if err := f.Release(); err != nil {
					t.Error(err)
				}
			})
		}
		if err := f.Release(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if f.Valid() {
			t.Fatal("frame still valid after every reference was released")
		}
	}
	s.Close()
	if st := s.Stats(); st.Outstanding != 0 || st.ReleaseErrs != 0 {
		t.Fatalf("%+v", st)
	}
}

func TestClone(t *testing.T) {
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small), miniav.WithPolicy(miniav.Block),
		miniav.WithClonePool(pool.New(pool.WithMaxBytes(int64(small.PixelFormat.FrameSize(small.Width, small.Height))*2))))
	f := recv(t, s)
	c, err := f.Clone()
	if err != nil {
		t.Fatal(err)
	}
	if !c.Copied() || f.Copied() || c.Sequence() != f.Sequence() {
		t.Fatalf("clone: copied=%v orig copied=%v seq %d/%d", c.Copied(), f.Copied(), c.Sequence(), f.Sequence())
	}
	for i := range 3 {
		if !bytes.Equal(c.Video().Plane(i), f.Video().Plane(i)) {
			t.Fatalf("plane %d differs", i)
		}
	}
	want := index(t, f)
	f.Release()
	for range 10 { // let the source reuse the original's memory
		g := recv(t, s)
		g.Release()
	}
	if index(t, c) != want {
		t.Fatal("clone changed after the original was released")
	}
	g := recv(t, s)
	c2, err := g.Clone()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Clone(); !errors.Is(err, pool.ErrExhausted) {
		t.Fatalf("third clone into a two-frame pool: %v", err)
	}
	for _, x := range []miniav.Frame{g, c, c2} {
		if err := x.Release(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := g.Clone(); !errors.Is(err, miniav.ErrReleased) {
		t.Fatalf("clone of a released frame: %v", err)
	}
	s.Close()
	if o := s.Stats().Outstanding; o != 0 {
		t.Fatalf("outstanding %d", o)
	}
}

func TestIntrinsics(t *testing.T) {
	in := miniav.Intrinsics{Fx: 500, Fy: 501, Cx: 320, Cy: 240, Distortion: []float64{0.1, -0.2}}
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small), miniav.WithIntrinsics(in))
	f := recv(t, s)
	got := f.Intrinsics()
	f.Release()
	if got == nil || got.Fx != 500 || got.Cy != 240 || len(got.Distortion) != 2 {
		t.Fatalf("Intrinsics = %+v", got)
	}
}

// goertzel returns the power of frequency f in x sampled at rate.
func goertzel(x []float64, f, rate float64) float64 {
	w := 2 * math.Pi * f / rate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = v+c*s1-s2, s1
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

// dominant finds the strongest frequency in x between lo and hi, to 0.1 Hz.
func dominant(x []float64, rate, lo, hi float64) float64 {
	best, bf := -1.0, 0.0
	for f := lo; f <= hi; f += 0.1 {
		if p := goertzel(x, f, rate); p > best {
			best, bf = p, f
		}
	}
	return bf
}

func TestMicrophoneTone(t *testing.T) {
	for _, a := range []format.Audio{
		{SampleRate: 48000, Channels: 1, SampleFormat: format.S16},
		{SampleRate: 44100, Channels: 2, SampleFormat: format.F32, PeriodFrames: 441},
	} {
		s := open(t, context.Background(), "testsrc:microphone?freq=440", miniav.WithAudio(a), miniav.WithPolicy(miniav.Block), miniav.WithUnpaced())
		if s.Info().Audio.SampleRate != a.SampleRate || s.Info().Audio.PeriodFrames == 0 {
			t.Fatalf("negotiated %+v", s.Info().Audio)
		}
		var x []float64
		next := uint64(0)
		for len(x) < a.SampleRate {
			f := recv(t, s)
			au := f.Audio()
			if f.Kind() != miniav.AudioFrame || f.Sequence() != next || len(au.Data()) != au.Frames()*a.Channels*a.SampleFormat.Size() {
				t.Fatalf("audio frame seq %d (want %d), %d bytes for %d frames", f.Sequence(), next, len(au.Data()), au.Frames())
			}
			next += uint64(au.Frames())
			switch a.SampleFormat {
			case format.S16:
				for _, v := range au.Int16s() {
					x = append(x, float64(v)/32768)
				}
			case format.F32:
				for i, v := range au.Float32s() {
					if i%a.Channels == 0 {
						x = append(x, float64(v))
					}
				}
			}
			f.Release()
		}
		if got := dominant(x, float64(a.SampleRate), 400, 480); math.Abs(got-440) > 1 {
			t.Errorf("%v: dominant frequency %.1f Hz, want 440", a, got)
		}
		peak := 0.0
		for _, v := range x {
			peak = max(peak, math.Abs(v))
		}
		if math.Abs(peak-testsrc.Amplitude) > 0.01 {
			t.Errorf("%v: peak %.3f, want %.2f", a, peak, testsrc.Amplitude)
		}
		s.Close()
	}
}

// Timestamps of all streams share one epoch: frames captured at the same
// moment by a camera and a microphone carry close timestamps.
func TestSharedEpoch(t *testing.T) {
	cam := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small), miniav.WithQueue(1))
	mic := open(t, context.Background(), "testsrc:microphone", miniav.WithQueue(1))
	time.Sleep(100 * time.Millisecond)
	now := backend.Now()
	f, g := recv(t, cam), recv(t, mic)
	defer f.Release()
	defer g.Release()
	for _, ts := range []time.Duration{f.Timestamp(), g.Timestamp()} {
		if ts <= 0 || ts > now+time.Second || now-ts > time.Second {
			t.Fatalf("timestamp %v far from the epoch's now %v", ts, now)
		}
	}
}

func TestSteadyStateAllocatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, id := range []string{"testsrc:camera?static=1", "testsrc:microphone"} {
		s := open(t, context.Background(), id, miniav.WithVideo(small), miniav.WithPolicy(miniav.Block), miniav.WithUnpaced())
		for range 100 { // warm up pools
			f := recv(t, s)
			f.Release()
		}
		allocs := testing.AllocsPerRun(500, func() {
			f := <-s.Frames()
			_ = f.Video().Plane(0)
			f.Release()
		})
		if allocs != 0 {
			t.Errorf("%s: %.2f allocations per frame in steady state", id, allocs)
		}
		s.Close()
	}
}
