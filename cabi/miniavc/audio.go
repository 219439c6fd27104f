//go:build cgo

package main

/*
#include "bridge.h"
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"sync"
	"unsafe"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/devices"
	"github.com/miniav-go/miniav/format"
)

//export MiniAV_Audio_EnumerateDevices
func MiniAV_Audio_EnumerateDevices(out **C.MiniAVDeviceInfo, count *C.uint32_t) C.MiniAVResultCode {
	return enumerate(out, count, devices.Microphone)
}

// supportedAudio is every GetSupportedFormats of an audio device.
func supportedAudio(id *C.char, out **C.MiniAVAudioInfo, count *C.uint32_t, fn string, k devices.Kind) C.MiniAVResultCode {
	if out == nil || count == nil {
		return failf(C.MINIAV_ERROR_INVALID_ARG, "%s: NULL out or count", fn)
	}
	*out, *count = nil, 0
	d, err := audioDevice(id, k)
	if err != nil {
		return result(fmt.Errorf("%s: %w", fn, err))
	}
	return formatList(audioFormats(d), out, count)
}

// audioDevice is device id of kind k, or the default one for NULL.
func audioDevice(id *C.char, k devices.Kind) (devices.Device, error) {
	if id != nil && *id != 0 {
		return lookup(id, k)
	}
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	d, err := devices.Default(ctx, k)
	if err == nil && d.Kind != k {
		err = fmt.Errorf("no %s device: %w", k, miniav.ErrNotFound)
	}
	return d, err
}

// defaultAudio probes the format of an audio device asked for none.
func defaultAudio(id *C.char, out *C.MiniAVAudioInfo, fn string, k devices.Kind) C.MiniAVResultCode {
	if out == nil {
		return failf(C.MINIAV_ERROR_INVALID_ARG, "%s: format_out is NULL", fn)
	}
	d, err := audioDevice(id, k)
	if err != nil {
		return result(fmt.Errorf("%s: %w", fn, err))
	}
	info, err := probe(d.ID)
	if err != nil {
		return result(fmt.Errorf("%s %s: %w", fn, d.ID, err))
	}
	*out = audioInfo(info.Audio)
	return C.MINIAV_SUCCESS
}

//export MiniAV_Audio_GetSupportedFormats
func MiniAV_Audio_GetSupportedFormats(id *C.char, out **C.MiniAVAudioInfo, count *C.uint32_t) C.MiniAVResultCode {
	return supportedAudio(id, out, count, "MiniAV_Audio_GetSupportedFormats", devices.Microphone)
}

//export MiniAV_Audio_GetDefaultFormat
func MiniAV_Audio_GetDefaultFormat(id *C.char, out *C.MiniAVAudioInfo) C.MiniAVResultCode {
	return defaultAudio(id, out, "MiniAV_Audio_GetDefaultFormat", devices.Microphone)
}

// configuredAudio writes the negotiated format of c.
func configuredAudio(m module, h unsafe.Pointer, out *C.MiniAVAudioInfo, fn string) C.MiniAVResultCode {
	c, code := getContext(m, h, fn)
	if c == nil {
		return code
	}
	if out == nil {
		return failf(C.MINIAV_ERROR_INVALID_ARG, "%s: format_out is NULL", fn)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.configured {
		return failf(C.MINIAV_ERROR_NOT_CONFIGURED, "%s: not configured", fn)
	}
	*out = audioInfo(c.info.Audio)
	return C.MINIAV_SUCCESS
}

//export MiniAV_Audio_GetConfiguredFormat
func MiniAV_Audio_GetConfiguredFormat(h C.MiniAVAudioContextHandle, out *C.MiniAVAudioInfo) C.MiniAVResultCode {
	return configuredAudio(modAudio, unsafe.Pointer(h), out, "MiniAV_Audio_GetConfiguredFormat")
}

//export MiniAV_Audio_CreateContext
func MiniAV_Audio_CreateContext(out *C.MiniAVAudioContextHandle) C.MiniAVResultCode {
	return createContext(modAudio, (*unsafe.Pointer)(unsafe.Pointer(out)))
}

//export MiniAV_Audio_CreateContextRet
func MiniAV_Audio_CreateContextRet() C.MiniAVAudioContextHandle {
	return C.MiniAVAudioContextHandle(C.miniavc_ptr(C.uint64_t(newContext(modAudio))))
}

//export MiniAV_Audio_DestroyContext
func MiniAV_Audio_DestroyContext(h C.MiniAVAudioContextHandle) C.MiniAVResultCode {
	return destroyContext(modAudio, unsafe.Pointer(h))
}

// configureAudio is every audio Configure.
func configureAudio(m module, h unsafe.Pointer, id *C.char, ai *C.MiniAVAudioInfo, k devices.Kind, fn string) C.MiniAVResultCode {
	c, code := getContext(m, h, fn)
	if c == nil {
		return code
	}
	d, err := audioDevice(id, k)
	if err != nil {
		return result(fmt.Errorf("%s: %w", fn, err))
	}
	a, err := fromAudioInfo(ai)
	if err != nil {
		return failf(C.MINIAV_ERROR_FORMAT_NOT_SUPPORTED, "%s: %v", fn, err)
	}
	return c.configure(d, format.Video{}, C.MINIAV_OUTPUT_PREFERENCE_CPU, a, fn)
}

//export MiniAV_Audio_Configure
func MiniAV_Audio_Configure(h C.MiniAVAudioContextHandle, id *C.char, ai *C.MiniAVAudioInfo) C.MiniAVResultCode {
	return configureAudio(modAudio, unsafe.Pointer(h), id, ai, devices.Microphone, "MiniAV_Audio_Configure")
}

//export MiniAV_Audio_ConfigureFlat
func MiniAV_Audio_ConfigureFlat(h C.MiniAVAudioContextHandle, sf C.int, rate, channels, frames C.uint32_t) C.MiniAVResultCode {
	if channels > 255 {
		return failf(C.MINIAV_ERROR_INVALID_ARG, "MiniAV_Audio_ConfigureFlat: %d channels", channels)
	}
	ai := C.MiniAVAudioInfo{format: C.MiniAVAudioFormat(sf), sample_rate: rate, channels: C.uint8_t(channels), num_frames: frames}
	return configureAudio(modAudio, unsafe.Pointer(h), nil, &ai, devices.Microphone, "MiniAV_Audio_ConfigureFlat")
}

//export MiniAV_Audio_StartCapture
func MiniAV_Audio_StartCapture(h C.MiniAVAudioContextHandle, cb C.MiniAVBufferCallback, ud unsafe.Pointer) C.MiniAVResultCode {
	return startCapture(modAudio, unsafe.Pointer(h), cb, ud, "MiniAV_Audio_StartCapture")
}

//export MiniAV_Audio_StopCapture
func MiniAV_Audio_StopCapture(h C.MiniAVAudioContextHandle) C.MiniAVResultCode {
	return stopCapture(modAudio, unsafe.Pointer(h), "MiniAV_Audio_StopCapture")
}

//export MiniAV_Audio_SetDeviceChangeCallback
func MiniAV_Audio_SetDeviceChangeCallback(cb C.MiniAVDeviceChangeCallback, ud unsafe.Pointer) C.MiniAVResultCode {
	return subscribe(&watchAudio, cb, ud, devices.Microphone)
}

//export MiniAV_Audio_SetContextLostCallback
func MiniAV_Audio_SetContextLostCallback(h C.MiniAVAudioContextHandle, cb C.MiniAVContextLostCallback, ud unsafe.Pointer) C.MiniAVResultCode {
	return setLost(modAudio, unsafe.Pointer(h), cb, ud, "MiniAV_Audio_SetContextLostCallback")
}

// A ring holds the last samples of a buffered capture as interleaved
// float32; when full, the oldest are overwritten.
type ring struct {
	mu       sync.Mutex
	buf      []float32
	start, n int // first sample and number of samples held
	channels int
}

func newRing(frames, channels int) *ring {
	return &ring{buf: make([]float32, frames*channels), channels: channels}
}

// write appends the interleaved samples d of format sf and ch channels,
// converted to float32 (nothing if ch is not the ring's channel count).
func (r *ring) write(d []byte, sf format.SampleFormat, ch int) {
	size := sf.Size()
	if size == 0 || ch != r.channels {
		return
	}
	d = d[:len(d)/(size*ch)*size*ch] // whole frames
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 0; i+size <= len(d); i += size {
		var v float32
		switch sf {
		case format.U8:
			v = (float32(d[i]) - 128) / 128
		case format.S16:
			v = float32(int16(uint16(d[i])|uint16(d[i+1])<<8)) / 32768
		case format.S24:
			v = float32(int32(uint32(d[i])<<8|uint32(d[i+1])<<16|uint32(d[i+2])<<24)>>8) / (1 << 23)
		case format.S32:
			v = float32(int32(uint32(d[i])|uint32(d[i+1])<<8|uint32(d[i+2])<<16|uint32(d[i+3])<<24)) / (1 << 31)
		case format.F32:
			v = math.Float32frombits(uint32(d[i]) | uint32(d[i+1])<<8 | uint32(d[i+2])<<16 | uint32(d[i+3])<<24)
		}
		r.buf[(r.start+r.n)%len(r.buf)] = v
		if r.n < len(r.buf) {
			r.n++
		} else {
			r.start = (r.start + 1) % len(r.buf)
		}
	}
}

// read moves up to len(dst)/channels whole frames into dst.
func (r *ring) read(dst []float32) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := min(len(dst), r.n) / r.channels * r.channels
	for i := range n {
		dst[i] = r.buf[(r.start+i)%len(r.buf)]
	}
	r.start, r.n = (r.start+n)%len(r.buf), r.n-n
	return n / r.channels
}

func (r *ring) frames() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n / r.channels
}

//export MiniAV_Audio_EnableBufferedCapture
func MiniAV_Audio_EnableBufferedCapture(h C.MiniAVAudioContextHandle, frames C.uint32_t) C.MiniAVResultCode {
	const fn = "MiniAV_Audio_EnableBufferedCapture"
	c, code := getContext(modAudio, unsafe.Pointer(h), fn)
	if c == nil {
		return code
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.configured:
		return failf(C.MINIAV_ERROR_NOT_CONFIGURED, "%s: not configured", fn)
	case c.running():
		return failf(C.MINIAV_ERROR_ALREADY_RUNNING, "%s: capture is running", fn)
	}
	if frames == 0 {
		frames = C.uint32_t(c.info.Audio.SampleRate) // one second
	}
	c.ring = newRing(int(frames), max(1, c.info.Audio.Channels))
	return C.MINIAV_SUCCESS
}

// ringOf returns the ring of context h.
func ringOf(h C.MiniAVAudioContextHandle, fn string) (*ring, C.MiniAVResultCode) {
	c, code := getContext(modAudio, unsafe.Pointer(h), fn)
	if c == nil {
		return nil, code
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ring == nil {
		return nil, failf(C.MINIAV_ERROR_NOT_CONFIGURED, "%s: buffered capture is not enabled", fn)
	}
	return c.ring, C.MINIAV_SUCCESS
}

//export MiniAV_Audio_ReadFrames
func MiniAV_Audio_ReadFrames(h C.MiniAVAudioContextHandle, out *C.float, max C.uint32_t) C.int {
	r, code := ringOf(h, "MiniAV_Audio_ReadFrames")
	if r == nil {
		return C.int(code)
	}
	if out == nil && max > 0 {
		return C.MINIAV_ERROR_INVALID_ARG
	}
	if max == 0 {
		return 0
	}
	dst := unsafe.Slice((*float32)(unsafe.Pointer(out)), int(max)*r.channels)
	return C.int(r.read(dst))
}

//export MiniAV_Audio_GetAvailableFrames
func MiniAV_Audio_GetAvailableFrames(h C.MiniAVAudioContextHandle) C.uint32_t {
	r, _ := ringOf(h, "MiniAV_Audio_GetAvailableFrames")
	if r == nil {
		return 0
	}
	return C.uint32_t(r.frames())
}
