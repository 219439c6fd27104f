//go:build cgo

package main

/*
#include "bridge.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"image"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/miniav-go/miniav"
	_ "github.com/miniav-go/miniav/backend/all" // every backend of the platform
	"github.com/miniav-go/miniav/devices"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/lend"
)

// A module is one of the 0.7 capture modules; each has its own handle type
// and table.
type module uint8

const (
	modCamera module = iota
	modScreen
	modAudio
	modLoopback
)

var (
	moduleNames = [...]string{"camera", "screen", "audio", "loopback"}
	moduleAPI   = [...]string{"Camera", "Screen", "Audio", "Loopback"} // as in MiniAV_Camera_...
)

// contexts are the tables of the modules' contexts. Handles are small
// integers (never Go pointers) with bases 2^20 apart, so a handle of one
// module given to another is MINIAV_ERROR_INVALID_HANDLE, as is a
// destroyed one.
var contexts = [...]lend.Table[*capCtx]{{Base: 1 << 20}, {Base: 2 << 20}, {Base: 3 << 20}, {Base: 4 << 20}}

// queueLen is how many frames wait for a slow callback before the stream
// drops the oldest (counted by the stream's metrics).
const queueLen = 4

// A capCtx is one capture context.
type capCtx struct {
	mod module

	mu         sync.Mutex
	configured bool
	dev        devices.Device
	video      format.Video // requested
	pref       C.MiniAVOutputPreference
	audio      format.Audio // requested
	info       miniav.Info  // negotiated at Configure, then at StartCapture
	cursor     bool
	region     image.Rectangle // screen region, in screen coordinates
	audioDev   string          // screen: the loopback captured with it
	audioInfo  format.Audio    // screen: its negotiated format
	run        *capture
	ring       *ring // buffered (pull) audio capture
	lostCb     C.MiniAVContextLostCallback
	lostUd     C.uintptr_t

	outstanding atomic.Int64 // buffers delivered and not released
}

// A capture is one StartCapture..StopCapture of a context.
type capture struct {
	streams []*miniav.Stream
	cb      C.MiniAVBufferCallback
	ud      C.uintptr_t
	pref    C.MiniAVOutputPreference
	ring    *ring
	done    chan struct{} // closed when the dispatcher has returned
	stopped atomic.Bool   // StopCapture or DestroyContext ended it
}

func newContext(m module) uint64 { return contexts[m].Add(&capCtx{mod: m}) }

// getContext returns the context of handle h of module m.
func getContext(m module, h unsafe.Pointer, fn string) (*capCtx, C.MiniAVResultCode) {
	if h == nil {
		return nil, failf(C.MINIAV_ERROR_INVALID_HANDLE, "%s: context is NULL", fn)
	}
	c, open, issued := contexts[m].Lookup(uint64(C.miniavc_handle(h)))
	switch {
	case open:
		return c, C.MINIAV_SUCCESS
	case issued:
		return nil, failf(C.MINIAV_ERROR_INVALID_HANDLE, "%s: context %p was destroyed", fn, h)
	}
	return nil, failf(C.MINIAV_ERROR_INVALID_HANDLE, "%s: %p is no %s context", fn, h, moduleNames[m])
}

// createContext is every CreateContext: it stores a new handle in *out.
func createContext(m module, out *unsafe.Pointer) C.MiniAVResultCode {
	if out == nil {
		return failf(C.MINIAV_ERROR_INVALID_ARG, "MiniAV_%s_CreateContext: out is NULL", moduleAPI[m])
	}
	*out = C.miniavc_ptr(C.uint64_t(newContext(m)))
	return C.MINIAV_SUCCESS
}

// destroyContext stops capture and forgets h. Buffers still held stay
// valid until released.
func destroyContext(m module, h unsafe.Pointer) C.MiniAVResultCode {
	fn := "MiniAV_" + moduleAPI[m] + "_DestroyContext"
	c, code := getContext(m, h, fn)
	if c == nil {
		return code
	}
	if _, open, _ := contexts[m].Remove(uint64(C.miniavc_handle(h))); !open {
		return failf(C.MINIAV_ERROR_INVALID_HANDLE, "%s: context %p was destroyed", fn, h)
	}
	c.stop()
	if n := c.outstanding.Load(); n > 0 {
		logger.Warn(fmt.Sprintf("MiniAV_%s_DestroyContext: %d buffers not released yet (they stay valid until MiniAV_ReleaseBuffer)",
			moduleAPI[m], n))
	}
	return C.MINIAV_SUCCESS
}

// options are the stream options of the configured context; c.mu is held.
func (c *capCtx) options() []miniav.Option {
	opts := append([]miniav.Option{miniav.WithLogger(logger)}, healthOptions()...)
	if c.dev.Kind.Audio() {
		opts = append(opts, miniav.WithAudio(c.audio))
	} else {
		opts = append(opts, miniav.WithVideo(c.video))
	}
	if c.mod == modScreen {
		opts = append(opts, miniav.WithCursor(c.cursor))
		if !c.region.Empty() {
			opts = append(opts, miniav.WithRegion(c.region))
		}
	}
	return opts
}

// probe opens id as a pull stream (which captures nothing until read) to
// learn the format it negotiates for opts.
func probe(id string, opts ...miniav.Option) (miniav.Info, error) {
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	s, err := miniav.Open(ctx, id, append(opts, miniav.WithPull(), miniav.WithLogger(logger))...)
	if err != nil {
		return miniav.Info{}, err
	}
	info := s.Info()
	s.Close()
	return info, nil
}

// configure sets the device and format of c and checks them by probing
// the device.
func (c *capCtx) configure(d devices.Device, v format.Video, pref C.MiniAVOutputPreference, a format.Audio, fn string) C.MiniAVResultCode {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running() {
		return failf(C.MINIAV_ERROR_ALREADY_RUNNING, "%s: capture is running", fn)
	}
	c.configured = false
	c.dev, c.video, c.pref, c.audio = d, v, pref, a
	info, err := probe(d.ID, c.options()...)
	if err != nil {
		if errors.Is(err, miniav.ErrNotSupported) {
			return failf(C.MINIAV_ERROR_FORMAT_NOT_SUPPORTED, "%s %s: %v", fn, d.ID, err)
		}
		return result(fmt.Errorf("%s %s: %w", fn, d.ID, err))
	}
	c.info, c.configured = info, true
	c.ring = nil
	return C.MINIAV_SUCCESS
}

// running reports whether a capture is on; c.mu is held.
func (c *capCtx) running() bool {
	if c.run == nil {
		return false
	}
	select {
	case <-c.run.done: // ended by itself (device lost)
		return false
	default:
		return true
	}
}

// start opens the streams of c and its dispatcher.
func (c *capCtx) start(cb C.MiniAVBufferCallback, ud unsafe.Pointer, fn string) C.MiniAVResultCode {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.configured:
		return failf(C.MINIAV_ERROR_NOT_CONFIGURED, "%s: not configured", fn)
	case c.running():
		return failf(C.MINIAV_ERROR_ALREADY_RUNNING, "%s: already running", fn)
	case cb == nil && c.ring == nil:
		return failf(C.MINIAV_ERROR_INVALID_ARG, "%s: callback is NULL (and buffered capture is off)", fn)
	}
	if c.run != nil { // a capture that ended by itself
		c.run.close()
		c.run = nil
	}
	MiniAV_EnableCallbacks()
	opts := append(c.options(), miniav.WithQueue(queueLen), miniav.WithPolicy(miniav.DropOldest))
	s, err := miniav.Open(context.Background(), c.dev.ID, opts...)
	if err != nil {
		return result(fmt.Errorf("%s %s: %w", fn, c.dev.ID, err))
	}
	r := &capture{streams: []*miniav.Stream{s}, cb: cb, ud: C.uintptr_t(uintptr(ud)), pref: c.pref, ring: c.ring,
		done: make(chan struct{})}
	c.info = s.Info()
	if c.audioDev != "" {
		a, err := miniav.Open(context.Background(), c.audioDev, append(healthOptions(), miniav.WithLogger(logger), miniav.WithQueue(queueLen))...)
		if err != nil {
			s.Close()
			return result(fmt.Errorf("%s: audio %s: %w", fn, c.audioDev, err))
		}
		c.audioInfo = a.Info().Audio
		r.streams = append(r.streams, a)
	}
	c.run = r
	go c.dispatch(r)
	return C.MINIAV_SUCCESS
}

func (r *capture) close() {
	for _, s := range r.streams {
		s.Close()
	}
}

// stop ends the capture of c, if any, and waits for its dispatcher unless
// called from inside a callback (which may be the dispatcher's own).
func (c *capCtx) stop() bool {
	c.mu.Lock()
	r := c.run
	c.run = nil
	c.mu.Unlock()
	if r == nil {
		return false
	}
	ended := false
	select {
	case <-r.done:
		ended = true
	default:
	}
	r.stopped.Store(true)
	r.close()
	if C.miniavc_depth() == 0 {
		<-r.done
	}
	return !ended
}

// startCapture is every StartCapture.
func startCapture(m module, h unsafe.Pointer, cb C.MiniAVBufferCallback, ud unsafe.Pointer, fn string) C.MiniAVResultCode {
	c, code := getContext(m, h, fn)
	if c == nil {
		return code
	}
	return c.start(cb, ud, fn)
}

// stopCapture is every StopCapture.
func stopCapture(m module, h unsafe.Pointer, fn string) C.MiniAVResultCode {
	c, code := getContext(m, h, fn)
	if c == nil {
		return code
	}
	if !c.stop() {
		return failf(C.MINIAV_ERROR_NOT_RUNNING, "%s: not running", fn)
	}
	return C.MINIAV_SUCCESS
}

// dispatch runs on its own OS thread for the whole capture: it hands every
// frame of the capture's streams to the callback (and the ring), and calls
// the context-lost callback when a stream fails.
func (c *capCtx) dispatch(r *capture) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(r.done)
	chs := make([]<-chan miniav.Frame, 2)
	for i, s := range r.streams {
		chs[i] = s.Frames()
	}
	var failed error
	for open := len(r.streams); open > 0; {
		var f miniav.Frame
		var ok bool
		i := 0
		select {
		case f, ok = <-chs[0]:
		case f, ok = <-chs[1]:
			i = 1
		}
		if !ok {
			chs[i] = nil
			open--
			if err := r.streams[i].Err(); err != nil && failed == nil {
				failed = fmt.Errorf("%s capture of %s: %w", moduleNames[c.mod], r.streams[i].Info().Device, err)
				r.close() // the other stream ends with it: capture has stopped
			}
			continue
		}
		c.deliver(r, f)
	}
	if failed == nil || r.stopped.Load() {
		return
	}
	code := result(failed)
	c.mu.Lock()
	cb, ud := c.lostCb, c.lostUd
	c.mu.Unlock()
	if cb != nil && enter() {
		C.miniavc_call_lost(cb, C.int(code), ud)
		leave()
	}
}

// bufLoan is what a lent frame keeps besides its pins: its MiniAVBuffer in
// C memory and the context that delivered it.
type bufLoan struct {
	buf *C.MiniAVBuffer
	ctx *capCtx
}

var loans lend.Loans[bufLoan]

// deliver hands f to the ring and the callback.
func (c *capCtx) deliver(r *capture, f miniav.Frame) {
	if r.ring != nil && f.Kind() == miniav.AudioFrame {
		a := f.Audio()
		r.ring.write(a.Data(), a.SampleFormat, a.Channels)
	}
	if r.cb == nil || r.stopped.Load() || !enter() {
		f.Release()
		return
	}
	defer leave()
	b := c.lendBuffer(f, r)
	C.miniavc_call_buffer(r.cb, b, r.ud)
}

// lendBuffer describes f in a new MiniAVBuffer, lending f until
// MiniAV_ReleaseBuffer.
func (c *capCtx) lendBuffer(f miniav.Frame, r *capture) *C.MiniAVBuffer {
	b := (*C.MiniAVBuffer)(C.calloc(1, C.sizeof_MiniAVBuffer))
	h, l := loans.New(f)
	l.X = bufLoan{buf: b, ctx: c}
	c.outstanding.Add(1)
	b.content_type = C.MINIAV_BUFFER_CONTENT_TYPE_CPU
	b.timestamp_us = C.int64_t(monotonicUS(f.Timestamp()))
	b.user_data = C.miniavc_ptr(C.uint64_t(r.ud))
	b.internal_handle = C.miniavc_ptr(C.uint64_t(h))
	b.native_fence.sync_fd = -1
	pin := func(p []byte) unsafe.Pointer {
		if len(p) == 0 {
			return nil
		}
		d := unsafe.SliceData(p)
		l.Pin.Pin(d) // a no-op for device (non-Go) memory
		return unsafe.Pointer(d)
	}
	u := unsafe.Pointer(&b.data)
	switch f.Kind() {
	case miniav.VideoFrame:
		v := f.Video()
		b._type = C.MINIAV_BUFFER_TYPE_VIDEO
		*(*C.MiniAVVideoInfo)(u) = videoInfo(v.Video, r.pref)
		n := min(v.NumPlanes(), C.MINIAV_VIDEO_FORMAT_MAX_PLANES)
		*(*C.uint32_t)(unsafe.Add(u, C.MINIAVC_OFF_VIDEO_NUM_PLANES)) = C.uint32_t(n)
		planes := unsafe.Slice((*C.MiniAVVideoPlane)(unsafe.Add(u, C.MINIAVC_OFF_VIDEO_PLANES)), C.MINIAV_VIDEO_FORMAT_MAX_PLANES)
		size := 0
		for i := range planes {
			planes[i].dmabuf_fd = -1
			if i >= n {
				continue
			}
			p := v.Plane(i)
			w, h := planeSize(v.PixelFormat, i, v.Width, v.Height)
			planes[i].data_ptr = pin(p)
			planes[i].width, planes[i].height = C.uint32_t(w), C.uint32_t(h)
			planes[i].stride_bytes = C.uint32_t(v.Stride(i))
			if fd, ok := v.DMABuf(i); ok {
				planes[i].dmabuf_fd = C.int(fd)
				planes[i].offset_bytes = C.uint32_t(dmabufOffset(v, i, fd))
			}
			size += len(p)
		}
		b.data_size_bytes = C.size_t(size)
	case miniav.AudioFrame:
		a := f.Audio()
		b._type = C.MINIAV_BUFFER_TYPE_AUDIO
		*(*C.uint32_t)(u) = C.uint32_t(a.Frames())
		af := a.Audio
		af.PeriodFrames = a.Frames()
		*(*C.MiniAVAudioInfo)(unsafe.Add(u, C.MINIAVC_OFF_AUDIO_INFO)) = audioInfo(af)
		*(*unsafe.Pointer)(unsafe.Add(u, C.MINIAVC_OFF_AUDIO_DATA)) = pin(a.Data())
		b.data_size_bytes = C.size_t(len(a.Data()))
	}
	return b
}

// planeSize is the width in samples and the height in rows of plane i of
// a w×h frame of p (chroma planes are half as wide).
func planeSize(p format.PixelFormat, i, w, h int) (int, int) {
	_, rows := p.PlaneSize(i, w, h)
	if rows == 0 {
		rows = h
	}
	if i > 0 {
		w = (w + 1) / 2
	}
	return w, rows
}

//export MiniAV_ReleaseBuffer
func MiniAV_ReleaseBuffer(h unsafe.Pointer) C.MiniAVResultCode {
	if h == nil {
		return C.MINIAV_SUCCESS
	}
	l := loans.Take(uint64(C.miniavc_handle(h)))
	if l == nil {
		return failf(C.MINIAV_ERROR_INVALID_HANDLE, "MiniAV_ReleaseBuffer: %p was never delivered or is released already", h)
	}
	err := l.F.Release()
	l.Pin.Unpin()
	C.free(unsafe.Pointer(l.X.buf))
	l.X.ctx.outstanding.Add(-1)
	loans.Recycle(l)
	if err != nil {
		return result(fmt.Errorf("MiniAV_ReleaseBuffer: %w", err))
	}
	return C.MINIAV_SUCCESS
}

// setLost is every SetContextLostCallback.
func setLost(m module, h unsafe.Pointer, cb C.MiniAVContextLostCallback, ud unsafe.Pointer, fn string) C.MiniAVResultCode {
	c, code := getContext(m, h, fn)
	if c == nil {
		return code
	}
	c.mu.Lock()
	c.lostCb, c.lostUd = cb, C.uintptr_t(uintptr(ud))
	c.mu.Unlock()
	return C.MINIAV_SUCCESS
}

// dmabufOffset returns plane i's offset in its DMA-BUF fd: planes that
// share one (NV12 in a single V4L2 plane) lie in the same memory, at their
// distance from the first plane with that fd, whose offset is 0.
func dmabufOffset(v miniav.VideoView, i, fd int) int {
	for j := range i {
		if f, ok := v.DMABuf(j); ok && f == fd && len(v.Plane(j)) > 0 && len(v.Plane(i)) > 0 {
			return int(uintptr(unsafe.Pointer(unsafe.SliceData(v.Plane(i)))) - uintptr(unsafe.Pointer(unsafe.SliceData(v.Plane(j)))))
		}
	}
	return 0
}
