//go:build js && wasm

package webmedia

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"
	"time"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/pool"
)

// constraints builds the getUserMedia or getDisplayMedia argument.
func constraints(tg target, cfg backend.Config) js.Value {
	c := map[string]any{}
	if tg.kind == "microphone" {
		a := map[string]any{}
		if tg.deviceID != "" {
			a["deviceId"] = map[string]any{"exact": tg.deviceID}
		}
		if cfg.Audio.SampleRate > 0 {
			a["sampleRate"] = map[string]any{"ideal": cfg.Audio.SampleRate}
		}
		if cfg.Audio.Channels > 0 {
			a["channelCount"] = map[string]any{"ideal": cfg.Audio.Channels}
		}
		c["audio"], c["video"] = a, false
		return js.ValueOf(c)
	}
	// getDisplayMedia accepts no exact or min constraints.
	strict := "exact"
	if tg.kind == "screen" {
		strict = "ideal"
	}
	v := map[string]any{}
	if tg.deviceID != "" {
		v["deviceId"] = map[string]any{"exact": tg.deviceID}
	}
	if w := cfg.Video.Width; w > 0 {
		v["width"] = map[string]any{strict: w}
	}
	if h := cfg.Video.Height; h > 0 {
		v["height"] = map[string]any{strict: h}
	}
	if f := cfg.Video.FrameRate; !f.IsZero() {
		v["frameRate"] = map[string]any{"ideal": f.Float()}
	}
	c["video"], c["audio"] = v, false
	return js.ValueOf(c)
}

// frame is one copied frame on its way from the callback to Read.
type frame struct {
	pb      *pool.Buffer
	w, h    int
	frames  int // audio sample frames
	ch      int // audio channels
	ts, dts time.Duration
	seq     uint64
	skipped uint64
}

type source struct {
	info  backend.Info
	obs   backend.Observer
	track js.Value
	st    js.Value // the pump's state object
	cb    js.Func
	pool  *pool.Pool

	// Touched by the callback only.
	buf     js.Value // st.buf as last seen
	gen     int
	nextSeq uint64 // audio: sample frames so far
	lost    uint64 // dropped since the last frame handed on

	ch      chan frame
	end     chan struct{} // closed when the track ended or failed
	endErr  error
	endOnce sync.Once
	closed  bool
}

func newSource(tg target, track js.Value, o copyOpts, cfg backend.Config) *source {
	set := track.Call("getSettings")
	num := func(k string) float64 {
		if v := set.Get(k); v.Type() == js.TypeNumber {
			return v.Float()
		}
		return 0
	}
	queue := cfg.Buffers
	if queue <= 0 {
		queue = DefaultQueue
	}
	s := &source{obs: cfg.Observer, track: track, pool: framePool(), ch: make(chan frame, queue), end: make(chan struct{})}
	if s.obs == nil {
		s.obs = backend.NopObserver{}
	}
	st := js.Global().Get("Object").New()
	switch tg.kind {
	case "microphone":
		s.info.Kind = backend.KindMicrophone
		rate := int(num("sampleRate"))
		s.info.Audio = format.Audio{SampleRate: rate, Channels: max(1, int(num("channelCount"))), SampleFormat: o.sample, PeriodFrames: rate / 100}
		s.info.Mode = "MediaStreamTrackProcessor, AudioData.copyTo " + o.name
		st.Set("audio", true)
		st.Set("opts", js.ValueOf(map[string]any{"planeIndex": 0, "format": o.name}))
	default:
		s.info.Kind = backend.KindCamera
		if tg.kind == "screen" {
			s.info.Kind = backend.KindDisplay
		}
		n, d := fpsRational(num("frameRate"))
		s.info.Video = format.Video{Width: int(num("width")), Height: int(num("height")), PixelFormat: o.pix, FrameRate: format.Rational{Num: n, Den: d}}
		if o.pix == format.I420 {
			s.info.Mode = "MediaStreamTrackProcessor, VideoFrame.copyTo native I420"
			st.Set("i420", true)
		} else {
			s.info.Mode = "MediaStreamTrackProcessor, VideoFrame.copyTo " + o.name + " (converted by the browser)"
			st.Set("opts", js.ValueOf(map[string]any{"format": o.name}))
		}
	}
	s.st = st
	s.cb = js.FuncOf(s.onFrame)
	startPump(st, track, s.cb)
	return s
}

func (s *source) Info() backend.Info { return s.info }

// onFrame runs inside the JavaScript event loop: it copies the frame the
// pump left in st.buf into pooled memory and hands it on without ever
// blocking. It reads only numbers from st, which cost no Go allocation.
func (s *source) onFrame(js.Value, []js.Value) any {
	st := s.st
	if st.Get("ended").Bool() {
		err := fmt.Errorf("webmedia: the %v track ended: %w", s.info.Kind, backend.ErrDeviceLost)
		if name := st.Get("errName").String(); name != "" {
			de := &DOMError{Name: name, Message: st.Get("error").String()}
			if errors.Is(de, backend.ErrNotSupported) {
				err = fmt.Errorf("webmedia: capture failed: %w", de)
			} else {
				err = fmt.Errorf("webmedia: capture failed: %w (%w)", backend.ErrDeviceLost, de)
			}
		}
		s.finish(err)
		return nil
	}
	if g := st.Get("gen").Int(); g != s.gen || s.buf.IsUndefined() {
		s.buf, s.gen = st.Get("buf"), g
	}
	f := frame{ts: backend.Now(), dts: time.Duration(st.Get("ts").Float()) * time.Microsecond}
	n := st.Get("n").Int()
	if s.info.Kind.Audio() {
		f.frames, f.ch = st.Get("frames").Int(), st.Get("channels").Int()
		f.seq = s.nextSeq
		s.nextSeq += uint64(f.frames)
	} else {
		f.w, f.h = st.Get("w").Int(), st.Get("h").Int()
		f.seq = uint64(st.Get("seq").Int()) - 1
	}
	counters.browserNs.Add(int64(st.Get("ms").Float() * 1e6))
	counters.frames.Add(1)
	pb, err := s.pool.Get(n)
	if err != nil {
		s.drop(backend.DropPoolExhausted, f)
		return nil
	}
	t0 := time.Now()
	js.CopyBytesToGo(pb.Bytes(), s.buf)
	counters.goCopyNs.Add(int64(time.Since(t0)))
	f.pb, f.skipped = pb, s.lost
	select {
	case s.ch <- f:
		s.lost = 0
	default:
		pb.Release()
		s.drop(backend.DropOverrun, f)
	}
	return nil
}

func (s *source) drop(r backend.DropReason, f frame) {
	n := uint64(1)
	if f.frames > 0 {
		n = uint64(f.frames)
	}
	s.lost += n
	counters.dropped.Add(1)
	s.obs.Dropped(r, 1)
}

func (s *source) finish(err error) {
	s.endOnce.Do(func() {
		s.endErr = err
		close(s.end)
	})
}

func (s *source) Read(ctx context.Context, b *backend.Buffer) error {
	if err := ctx.Err(); err != nil { // even with frames queued
		return err
	}
	select {
	case f := <-s.ch:
		s.fill(b, f)
		return nil
	default:
	}
	select {
	case f := <-s.ch:
		s.fill(b, f)
		return nil
	case <-s.end:
		select {
		case f := <-s.ch:
			s.fill(b, f)
			return nil
		default:
		}
		return s.endErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *source) fill(b *backend.Buffer, f frame) {
	d := f.pb.Bytes()
	b.Timestamp, b.DeviceTimestamp, b.Sequence, b.Skipped = f.ts, f.dts, f.seq, f.skipped
	b.Flags = backend.FlagCopied
	b.Releaser, b.Token = f.pb, 0
	if s.info.Kind.Audio() {
		b.Audio = s.info.Audio
		b.Audio.PeriodFrames = f.frames
		if f.ch > 0 {
			b.Audio.Channels = f.ch
		}
		b.Frames = f.frames
		b.Planes[0], b.NumPlanes = d, 1
		return
	}
	b.Video = format.Video{Width: f.w, Height: f.h, PixelFormat: s.info.Video.PixelFormat, FrameRate: s.info.Video.FrameRate}
	b.Planes, b.Strides, b.NumPlanes = b.Video.PixelFormat.Planes(d, f.w, f.h)
}

// Close stops the track and the pump, releases the callback and the
// frames still queued. Frames lent out stay valid until released.
func (s *source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.st.Call("stop")
	s.cb.Release()
	for {
		select {
		case f := <-s.ch:
			f.pb.Release()
		default:
			s.finish(fmt.Errorf("webmedia: %w", backend.ErrClosed))
			return nil
		}
	}
}
