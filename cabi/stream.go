//go:build cgo

package main

/*
#define MINIAV_NO_PROTOTYPES
#include "miniav.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/miniav-go/miniav"
	_ "github.com/miniav-go/miniav/backend/all" // every backend of the platform
	"github.com/miniav-go/miniav/format"
)

//export miniav_open
func miniav_open(id *C.char, fmtStr *C.char, queue C.int, policy C.int, out *C.miniav_stream_t) C.int {
	if id == nil || out == nil {
		return failf(errInvalid, "miniav_open: id and out must not be NULL")
	}
	*out = 0
	dev := C.GoString(id)
	var opts []miniav.Option
	if fmtStr != nil {
		if f := C.GoString(fmtStr); f != "" {
			v, verr := format.ParseVideo(f)
			a, aerr := format.ParseAudio(f)
			if verr != nil && aerr != nil {
				return failf(errInvalid, "miniav_open %s: format %q is neither video (%v) nor audio (%v): %w", dev, f, verr, aerr, miniav.ErrInvalid)
			}
			if verr == nil {
				opts = append(opts, miniav.WithVideo(v))
			}
			if aerr == nil {
				opts = append(opts, miniav.WithAudio(a))
			}
		}
	}
	switch {
	case queue < 0:
		return failf(errInvalid, "miniav_open %s: queue %d: %w", dev, queue, miniav.ErrInvalid)
	case queue > 0:
		opts = append(opts, miniav.WithQueue(int(queue)))
	}
	if policy < C.MINIAV_POLICY_DROP_OLDEST || policy > C.MINIAV_POLICY_BLOCK {
		return failf(errInvalid, "miniav_open %s: policy %d: %w", dev, policy, miniav.ErrInvalid)
	}
	opts = append(opts, miniav.WithPolicy(miniav.Policy(policy)))
	s, err := miniav.Open(context.Background(), dev, opts...)
	if err != nil {
		return fail(fmt.Errorf("miniav_open %s: %w", dev, err))
	}
	*out = C.miniav_stream_t(addStream(s))
	return statusOK
}

// stream returns the open stream of h, or a failure code.
func stream(h C.miniav_stream_t, fn string) (*miniav.Stream, C.int) {
	s, issued := lookupStream(uint64(h))
	switch {
	case s != nil:
		return s, statusOK
	case issued:
		return nil, failf(errClosed, "%s: stream %d is closed", fn, h)
	}
	return nil, failf(errInvalid, "%s: no stream %d", fn, h)
}

//export miniav_close
func miniav_close(h C.miniav_stream_t) C.int {
	s, issued := removeStream(uint64(h))
	if s == nil {
		if issued {
			return statusOK
		}
		return failf(errInvalid, "miniav_close: no stream %d", h)
	}
	s.Close()
	return statusOK
}

//export miniav_stream_info
func miniav_stream_info(h C.miniav_stream_t, out *C.miniav_stream_info_t) C.int {
	if out == nil {
		return failf(errInvalid, "miniav_stream_info: out is NULL")
	}
	s, c := stream(h, "miniav_stream_info")
	if s == nil {
		return c
	}
	in := s.Info()
	*out = C.miniav_stream_info_t{
		device_kind:   C.int32_t(in.Kind),
		policy:        C.int32_t(in.Policy),
		queue:         C.int32_t(in.Queue),
		width:         C.int32_t(in.Video.Width),
		height:        C.int32_t(in.Video.Height),
		pixel_format:  C.uint32_t(in.Video.PixelFormat),
		fps_num:       C.int32_t(in.Video.FrameRate.Num),
		fps_den:       C.int32_t(in.Video.FrameRate.Den),
		sample_rate:   C.int32_t(in.Audio.SampleRate),
		channels:      C.int32_t(in.Audio.Channels),
		sample_format: C.int32_t(in.Audio.SampleFormat),
		period_frames: C.int32_t(in.Audio.PeriodFrames),
	}
	if in.ZeroCopy {
		out.zero_copy = 1
	}
	putString(out.device[:], in.Device)
	putString(out.mode[:], in.Mode)
	return statusOK
}

// putString copies s into the C array dst, truncated and NUL-terminated.
func putString(dst []C.char, s string) {
	n := min(len(s), len(dst)-1)
	for i := range n {
		dst[i] = C.char(s[i])
	}
	dst[n] = 0
}

//export miniav_stream_stats
func miniav_stream_stats(h C.miniav_stream_t, out *C.miniav_stream_stats_t) C.int {
	if out == nil {
		return failf(errInvalid, "miniav_stream_stats: out is NULL")
	}
	s, c := stream(h, "miniav_stream_stats")
	if s == nil {
		return c
	}
	st := s.Stats()
	*out = C.miniav_stream_stats_t{
		captured:       C.uint64_t(st.Captured),
		delivered:      C.uint64_t(st.Delivered),
		dropped_total:  C.uint64_t(st.Dropped.Total()),
		leaked:         C.uint64_t(st.Leaked),
		copied:         C.uint64_t(st.Copied),
		release_errors: C.uint64_t(st.ReleaseErrs),
		outstanding:    C.int64_t(st.Outstanding),
		queued:         C.int64_t(st.Queued),
	}
	for i, n := range st.Dropped {
		if i < len(out.dropped) {
			out.dropped[i] = C.uint64_t(n)
		}
	}
	return statusOK
}

// timers are reused by miniav_next_frame (since Go 1.23 a stopped or
// reset timer never delivers a stale tick).
var timers = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}}

//export miniav_next_frame
func miniav_next_frame(h C.miniav_stream_t, timeoutMs C.int, out *C.miniav_frame_t) C.int {
	if out == nil {
		return failf(errInvalid, "miniav_next_frame: out is NULL")
	}
	*out = C.miniav_frame_t{}
	s, c := stream(h, "miniav_next_frame")
	if s == nil {
		return c
	}
	var f miniav.Frame
	ok := true
	switch {
	case timeoutMs < 0:
		f, ok = <-s.Frames()
	case timeoutMs == 0:
		select {
		case f, ok = <-s.Frames():
		default:
			return failf(errTimeout, "miniav_next_frame: no frame ready")
		}
	default:
		t := timers.Get().(*time.Timer)
		t.Reset(time.Duration(timeoutMs) * time.Millisecond)
		select {
		case f, ok = <-s.Frames():
			t.Stop()
			timers.Put(t)
		case <-t.C:
			timers.Put(t)
			return failf(errTimeout, "miniav_next_frame: no frame within %d ms", timeoutMs)
		}
	}
	if !ok {
		return ended(s)
	}
	lendFrame(f, out)
	return statusOK
}

// ended reports why s delivers no more frames.
func ended(s *miniav.Stream) C.int {
	err := s.Err()
	switch {
	case err == nil, errors.Is(err, miniav.ErrClosed):
		return failf(errClosed, "miniav_next_frame: stream %s: %w", s.Info().Name, miniav.ErrClosed)
	case errors.Is(err, context.Canceled):
		return failf(errClosed, "miniav_next_frame: stream %s: %w", s.Info().Name, err)
	}
	return fail(fmt.Errorf("miniav_next_frame: stream %s stopped: %w", s.Info().Name, err))
}

// lendFrame records f as held by C, pins its planes and describes it in out.
func lendFrame(f miniav.Frame, out *C.miniav_frame_t) {
	h, l := loans.New(f)
	out.handle = C.uint64_t(h)
	out.sequence = C.uint64_t(f.Sequence())
	out.timestamp_ns = C.int64_t(f.Timestamp())
	out.device_timestamp_ns = C.int64_t(f.DeviceTimestamp())
	if f.Copied() {
		out.flags |= C.MINIAV_FRAME_COPIED
	}
	setPlane := func(i int, p []byte, stride int) {
		if len(p) > 0 {
			d := unsafe.SliceData(p)
			l.Pin.Pin(d) // a no-op for device (non-Go) memory
			out.planes[i] = (*C.uint8_t)(unsafe.Pointer(d))
		}
		out.strides[i] = C.int64_t(stride)
		out.lengths[i] = C.int64_t(len(p))
	}
	switch f.Kind() {
	case miniav.VideoFrame:
		v := f.Video()
		out.kind = C.MINIAV_KIND_VIDEO
		out.width, out.height = C.int32_t(v.Width), C.int32_t(v.Height)
		out.pixel_format = C.uint32_t(v.PixelFormat)
		out.num_planes = C.int32_t(v.NumPlanes())
		for i := range min(v.NumPlanes(), len(out.planes)) {
			setPlane(i, v.Plane(i), v.Stride(i))
		}
	case miniav.AudioFrame:
		a := f.Audio()
		out.kind = C.MINIAV_KIND_AUDIO
		out.num_planes = 1
		out.sample_rate = C.int32_t(a.SampleRate)
		out.channels = C.int32_t(a.Channels)
		out.sample_format = C.int32_t(a.SampleFormat)
		out.frames = C.int32_t(a.Frames())
		setPlane(0, a.Data(), a.FrameBytes())
	}
}

//export miniav_frame_release
func miniav_frame_release(fr *C.miniav_frame_t) C.int {
	if fr == nil {
		return failf(errInvalid, "miniav_frame_release: frame is NULL")
	}
	l := loans.Take(uint64(fr.handle))
	if l == nil {
		return failf(errReleased, "miniav_frame_release: frame %d: %w", fr.handle, miniav.ErrReleased)
	}
	err := l.F.Release()
	l.Pin.Unpin()
	loans.Recycle(l)
	*fr = C.miniav_frame_t{}
	if err != nil {
		return fail(fmt.Errorf("miniav_frame_release: %w", err))
	}
	return statusOK
}
