//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
	"errors"
	"hash/crc32"
	"math"
	"runtime"
	"syscall/js"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/webmedia"
	"github.com/miniav-go/miniav/format"
)

// Result is what the self-test reports to the browser test, as JSON in
// window.miniavResult.
type Result struct {
	Devices []string
	Camera  VideoResult
	I420    VideoResult
	HD      VideoResult // 1280x720 RGBA
	Screen  VideoResult
	Mic     AudioResult
	// Errors of impossible requests, and whether they match.
	TooBig, NoDevice                     string
	TooBigNotSupported, NoDeviceNotFound bool
	// TracksEnded: every track the page handed out has readyState "ended"
	// after the streams were closed.
	TracksEnded bool
	// Lost: stopping the track behind the stream's back ended it with
	// ErrDeviceLost.
	Lost    string
	LostIs  bool
	Backend webmedia.Stats
	// Backlog: a Block stream whose consumer stalls; the frames the
	// backend's queue could not take are counted as overruns and the
	// sequence gap is not counted again as device drops.
	Backlog BacklogResult
	// Mic16 is the microphone asked for S16 samples.
	Mic16 AudioResult
	// CallbackMallocs is what one call of an empty js.FuncOf from
	// JavaScript allocates in syscall/js and the runtime: the floor of any
	// per-frame callback.
	CallbackMallocs float64
	Errors          []string
}

// BacklogResult describes the stalled stream.
type BacklogResult struct {
	SeqGap                uint64 // largest jump in Sequence
	Overruns, DeviceDrops uint64 // stream drop counters by reason
	Captured, Delivered   uint64
	OutstandingAfterClose int64
}

// VideoResult describes a run of video frames.
type VideoResult struct {
	Info             string
	Frames           int
	Width, Height    int
	Planes           []int // bytes per plane of the last frame
	FPS, DeviceFPS   float64
	Distinct         int  // distinct CRC32s among the frames
	NonUniform       bool // the frames are not one flat colour
	OpaqueAlpha      bool // RGBA: alpha is 255 everywhere in the first frame
	SeqIncreasing    bool
	SeqGaps          uint64
	MallocsPerFrame  float64 // Go heap allocations per frame in steady state, consumer included
	BytesPerFrame    float64
	StreamDelivered  uint64
	OutstandingAfter int64 // frames the stream still lent out after Close
	// Per frame: time in the browser's copyTo and in js.CopyBytesToGo.
	BrowserCopyMs, GoCopyMs float64
}

// AudioResult describes a run of audio chunks.
type AudioResult struct {
	Info                 string
	Chunks, Frames       int
	Rate, Channels       int
	Seconds, WallSeconds float64
	RMS, Peak            float64
	ToneHz               float64 // zero-crossing frequency of the loud parts
	SeqContiguous        bool
}

func selftest() {
	status := js.Global().Get("document").Call("getElementById", "status")
	status.Set("textContent", "self-test running")
	var r Result
	fail := func(what string, err error) { r.Errors = append(r.Errors, what+": "+err.Error()) }
	ctx := context.Background()

	if b, ok := backend.Lookup("webmedia"); ok {
		devs, err := b.Devices(ctx)
		if err != nil {
			fail("devices", err)
		}
		for _, d := range devs {
			r.Devices = append(r.Devices, d.ID)
		}
	}
	var err error
	if r.Camera, err = video(ctx, "webmedia:camera", format.Video{Width: 640, Height: 480, FrameRate: format.FPS(30)}, 90, true); err != nil {
		fail("camera", err)
	}
	if r.I420, err = video(ctx, "webmedia:camera", format.Video{Width: 320, Height: 240, PixelFormat: format.I420, FrameRate: format.FPS(30)}, 15, false); err != nil {
		fail("i420", err)
	}
	if r.HD, err = video(ctx, "webmedia:camera", format.Video{Width: 1280, Height: 720, FrameRate: format.FPS(30)}, 45, false); err != nil {
		fail("hd", err)
	}
	if r.Mic, err = audio(ctx, "webmedia:microphone", 150, format.F32); err != nil {
		fail("microphone", err)
	}
	if r.Screen, err = video(ctx, "webmedia:screen", format.Video{}, 10, false); err != nil {
		fail("screen", err)
	}
	_, err = miniav.Open(ctx, "webmedia:camera", miniav.WithVideo(format.Video{Width: 100000, Height: 100000}))
	r.TooBig, r.TooBigNotSupported = errString(err), errors.Is(err, miniav.ErrNotSupported)
	_, err = miniav.Open(ctx, "webmedia:camera/no-such-camera")
	r.NoDevice, r.NoDeviceNotFound = errString(err), errors.Is(err, miniav.ErrNotFound)
	if r.Backlog, err = backlog(ctx); err != nil {
		fail("backlog", err)
	}
	if r.Mic16, err = audio(ctx, "webmedia:microphone", 110, format.S16); err != nil {
		fail("microphone s16", err)
	}
	r.CallbackMallocs = callbackMallocs()
	r.TracksEnded = tracksEnded()
	if err := lost(ctx); err != nil {
		r.Lost, r.LostIs = err.Error(), errors.Is(err, miniav.ErrDeviceLost)
	}
	r.Backend = webmedia.ReadStats()

	out, _ := json.Marshal(r)
	js.Global().Set("miniavResult", string(out))
	status.Set("textContent", string(out))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// video reads n frames of id and measures them.
func video(ctx context.Context, id string, v format.Video, n int, measureAllocs bool) (VideoResult, error) {
	var r VideoResult
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	s, err := miniav.Open(ctx, id, miniav.WithVideo(v))
	if err != nil {
		return r, err
	}
	defer s.Close()
	r.Info = s.Info().Video.String() + " " + s.Info().Mode
	st0 := webmedia.ReadStats()
	crcs := make([]uint32, 0, n)
	seen := make(map[uint32]bool, n)
	var first, last, dFirst, dLast time.Duration
	var prevSeq uint64
	r.SeqIncreasing = true
	var ms0, ms1 runtime.MemStats
	const warm = 20
	for f := range s.Frames() {
		vv := f.Video()
		k := len(crcs)
		if k == 0 {
			first, dFirst = f.Timestamp(), f.DeviceTimestamp()
			r.OpaqueAlpha = vv.PixelFormat == format.RGBA && opaque(vv.Plane(0))
		} else {
			if f.Sequence() <= prevSeq {
				r.SeqIncreasing = false
			}
			r.SeqGaps += f.Sequence() - prevSeq - 1
		}
		prevSeq = f.Sequence()
		last, dLast = f.Timestamp(), f.DeviceTimestamp()
		r.Width, r.Height = vv.Width, vv.Height
		if k == n-1 {
			r.Planes = r.Planes[:0]
			for i := range vv.NumPlanes() {
				r.Planes = append(r.Planes, len(vv.Plane(i)))
			}
		}
		c := crc32.ChecksumIEEE(vv.Plane(0))
		if !r.NonUniform {
			r.NonUniform = !flat(vv.Plane(0))
		}
		crcs = append(crcs, c)
		f.Release()
		if measureAllocs && k == warm {
			runtime.ReadMemStats(&ms0)
		}
		if len(crcs) == n {
			if measureAllocs {
				runtime.ReadMemStats(&ms1)
				per := float64(n - 1 - warm)
				r.MallocsPerFrame = float64(ms1.Mallocs-ms0.Mallocs) / per
				r.BytesPerFrame = float64(ms1.TotalAlloc-ms0.TotalAlloc) / per
			}
			break
		}
	}
	for _, c := range crcs {
		seen[c] = true
	}
	r.Frames, r.Distinct = len(crcs), len(seen)
	if st1 := webmedia.ReadStats(); st1.Frames > st0.Frames {
		k := float64(st1.Frames - st0.Frames)
		r.BrowserCopyMs = (st1.BrowserCopy - st0.BrowserCopy).Seconds() * 1e3 / k
		r.GoCopyMs = (st1.GoCopy - st0.GoCopy).Seconds() * 1e3 / k
	}
	if r.Frames > 1 {
		r.FPS = float64(r.Frames-1) / (last - first).Seconds()
		r.DeviceFPS = float64(r.Frames-1) / (dLast - dFirst).Seconds()
	}
	if err := s.Close(); err != nil {
		return r, err
	}
	st := s.Stats()
	r.StreamDelivered, r.OutstandingAfter = st.Delivered, st.Outstanding
	if r.Frames < n {
		return r, errors.Join(errors.New("stream ended early"), s.Err())
	}
	return r, nil
}

func opaque(p []byte) bool {
	for i := 3; i < len(p); i += 4 {
		if p[i] != 255 {
			return false
		}
	}
	return len(p) > 0
}

func flat(p []byte) bool {
	for i := 1; i < len(p); i++ {
		if p[i] != p[0] && (i%4 != 3) {
			return false
		}
	}
	return true
}

// audio reads n chunks of id and measures the signal of channel 0.
func audio(ctx context.Context, id string, n int, sf format.SampleFormat) (AudioResult, error) {
	var r AudioResult
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	s, err := miniav.Open(ctx, id, miniav.WithAudio(format.Audio{SampleFormat: sf}))
	if err != nil {
		return r, err
	}
	defer s.Close()
	info := s.Info().Audio
	r.Info = info.String() + " " + s.Info().Mode
	r.SeqContiguous = true
	var sum float64
	var loudSamples, crossings int
	var next uint64
	var t0, t1 time.Duration
	for f := range s.Frames() {
		a := f.Audio()
		if r.Chunks == 0 {
			next, t0 = f.Sequence(), f.Timestamp()
		}
		if f.Sequence() != next {
			r.SeqContiguous = false
		}
		next = f.Sequence() + uint64(a.Frames())
		t1 = f.Timestamp()
		r.Rate, r.Channels = a.SampleRate, a.Channels
		x := a.Float32s()
		if a.SampleFormat == format.S16 {
			x = x[:0]
			for _, v := range a.Int16s() {
				x = append(x, float32(v)/32768)
			}
		}
		ch := max(1, a.Channels)
		var e float64
		for i := 0; i < len(x); i += ch {
			v := float64(x[i])
			e += v * v
			r.Peak = math.Max(r.Peak, math.Abs(v))
		}
		sum += e
		if math.Sqrt(e/float64(max(1, len(x)/ch))) > 0.05 { // a loud chunk
			c, n := halfPeriods(x, ch)
			crossings += c
			loudSamples += n
		}
		r.Frames += a.Frames()
		r.Chunks++
		f.Release()
		if r.Chunks == n {
			break
		}
	}
	if r.Frames > 0 && r.Rate > 0 {
		r.RMS = math.Sqrt(sum / float64(r.Frames))
		r.Seconds = float64(r.Frames) / float64(r.Rate)
		r.WallSeconds = (t1 - t0).Seconds()
	}
	if loudSamples > 0 {
		r.ToneHz = float64(crossings) / 2 / (float64(loudSamples) / float64(r.Rate))
	}
	if r.Chunks < n {
		return r, errors.Join(errors.New("stream ended early"), s.Err())
	}
	return r, s.Close()
}

// tracksEnded reports whether every track the page handed out has ended.
func tracksEnded() bool {
	streams := js.Global().Get("miniavStreams")
	if streams.IsUndefined() || streams.Length() == 0 {
		return false
	}
	for i := range streams.Length() {
		tracks := streams.Index(i).Call("getTracks")
		for j := range tracks.Length() {
			if tracks.Index(j).Get("readyState").String() != "ended" {
				return false
			}
		}
	}
	return true
}

// lost stops a camera track behind the stream's back and returns the
// error the stream ends with.
func lost(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := miniav.Open(ctx, "webmedia:camera", miniav.WithVideo(format.Video{Width: 320, Height: 240}))
	if err != nil {
		return err
	}
	defer s.Close()
	k := 0
	for f := range s.Frames() {
		f.Release()
		if k++; k == 3 {
			streams := js.Global().Get("miniavStreams")
			streams.Index(streams.Length() - 1).Call("getTracks").Index(0).Call("stop")
		}
	}
	return s.Err()
}

// backlog stalls the consumer of a Block stream with a queue of one for
// half a second, then reads on.
func backlog(ctx context.Context) (BacklogResult, error) {
	var r BacklogResult
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := miniav.Open(ctx, "webmedia:camera", miniav.WithVideo(format.Video{Width: 320, Height: 240}),
		miniav.WithPolicy(miniav.Block), miniav.WithQueue(1))
	if err != nil {
		return r, err
	}
	defer s.Close()
	time.Sleep(500 * time.Millisecond) // the camera keeps producing meanwhile
	k, prev := 0, uint64(0)
	for f := range s.Frames() {
		if k > 0 && f.Sequence()-prev > r.SeqGap {
			r.SeqGap = f.Sequence() - prev
		}
		prev = f.Sequence()
		f.Release()
		if k++; k == 10 {
			break
		}
	}
	s.Close()
	st := s.Stats()
	r.Overruns, r.DeviceDrops = st.Dropped[backend.DropOverrun], st.Dropped[backend.DropDevice]
	r.Captured, r.Delivered, r.OutstandingAfterClose = st.Captured, st.Delivered, st.Outstanding
	return r, nil
}

// halfPeriods counts the swings of channel 0 of x across its mean, with
// hysteresis (a third of the way to its extremes) so that ringing and
// noise around the mean do not count, and returns them with the number of
// samples between the first and the last swing.
func halfPeriods(x []float32, ch int) (swings, samples int) {
	var mean, lo, hi float64
	lo, hi = math.Inf(1), math.Inf(-1)
	for i := 0; i < len(x); i += ch {
		v := float64(x[i])
		mean += v
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	mean /= float64(len(x) / ch)
	up, down := mean+(hi-mean)/3, mean-(mean-lo)/3
	state, first, last := 0, -1, -1
	for i := 0; i < len(x); i += ch {
		v := float64(x[i])
		s := state
		if v > up {
			s = 1
		} else if v < down {
			s = -1
		}
		if s != state {
			if state != 0 {
				if first < 0 {
					first = i / ch
				}
				last = i / ch
				swings++
			}
			state = s
		}
	}
	if swings < 3 {
		return 0, 0
	}
	return swings - 1, last - first
}

func callbackMallocs() float64 {
	const n = 1000
	f := js.FuncOf(func(js.Value, []js.Value) any { return nil })
	defer f.Release()
	loop := js.Global().Get("Function").New("f", "n", "for (let i = 0; i < n; i++) f();")
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	loop.Invoke(f, n)
	runtime.ReadMemStats(&m1)
	return float64(m1.Mallocs-m0.Mallocs) / n
}
