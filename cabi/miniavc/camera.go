//go:build cgo

package main

/*
#include "bridge.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/miniav-go/miniav/devices"
)

//export MiniAV_Camera_EnumerateDevices
func MiniAV_Camera_EnumerateDevices(out **C.MiniAVDeviceInfo, count *C.uint32_t) C.MiniAVResultCode {
	return enumerate(out, count, devices.Camera)
}

//export MiniAV_Camera_GetSupportedFormats
func MiniAV_Camera_GetSupportedFormats(id *C.char, out **C.MiniAVVideoInfo, count *C.uint32_t) C.MiniAVResultCode {
	return supportedVideo(id, out, count, "MiniAV_Camera_GetSupportedFormats", devices.Camera)
}

// supportedVideo is every GetSupportedFormats of a video device.
func supportedVideo(id *C.char, out **C.MiniAVVideoInfo, count *C.uint32_t, fn string, kinds ...devices.Kind) C.MiniAVResultCode {
	if out == nil || count == nil {
		return failf(C.MINIAV_ERROR_INVALID_ARG, "%s: NULL out or count", fn)
	}
	*out, *count = nil, 0
	d, err := lookup(id, kinds...)
	if err != nil {
		return result(fmt.Errorf("%s: %w", fn, err))
	}
	return formatList(videoFormats(d), out, count)
}

// defaultVideo probes the format a video device gives when asked for none.
func defaultVideo(id *C.char, out *C.MiniAVVideoInfo, fn string, kinds ...devices.Kind) C.MiniAVResultCode {
	if out == nil {
		return failf(C.MINIAV_ERROR_INVALID_ARG, "%s: format_out is NULL", fn)
	}
	d, err := lookup(id, kinds...)
	if err != nil {
		return result(fmt.Errorf("%s: %w", fn, err))
	}
	info, err := probe(d.ID)
	if err != nil {
		return result(fmt.Errorf("%s %s: %w", fn, d.ID, err))
	}
	*out = videoInfo(info.Video, C.MINIAV_OUTPUT_PREFERENCE_CPU)
	return C.MINIAV_SUCCESS
}

//export MiniAV_Camera_GetDefaultFormat
func MiniAV_Camera_GetDefaultFormat(id *C.char, out *C.MiniAVVideoInfo) C.MiniAVResultCode {
	return defaultVideo(id, out, "MiniAV_Camera_GetDefaultFormat", devices.Camera)
}

//export MiniAV_Camera_GetConfiguredFormat
func MiniAV_Camera_GetConfiguredFormat(h C.MiniAVCameraContextHandle, out *C.MiniAVVideoInfo) C.MiniAVResultCode {
	c, code := getContext(modCamera, unsafe.Pointer(h), "MiniAV_Camera_GetConfiguredFormat")
	if c == nil {
		return code
	}
	return c.configuredVideo(out, nil, "MiniAV_Camera_GetConfiguredFormat")
}

// configuredVideo writes the negotiated formats of c.
func (c *capCtx) configuredVideo(v *C.MiniAVVideoInfo, a *C.MiniAVAudioInfo, fn string) C.MiniAVResultCode {
	if v == nil && a == nil {
		return failf(C.MINIAV_ERROR_INVALID_ARG, "%s: format_out is NULL", fn)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.configured {
		return failf(C.MINIAV_ERROR_NOT_CONFIGURED, "%s: not configured", fn)
	}
	if v != nil {
		*v = videoInfo(c.info.Video, c.pref)
	}
	if a != nil {
		*a = audioInfo(c.audioInfo)
	}
	return C.MINIAV_SUCCESS
}

//export MiniAV_Camera_CreateContext
func MiniAV_Camera_CreateContext(out *C.MiniAVCameraContextHandle) C.MiniAVResultCode {
	return createContext(modCamera, (*unsafe.Pointer)(unsafe.Pointer(out)))
}

//export MiniAV_Camera_DestroyContext
func MiniAV_Camera_DestroyContext(h C.MiniAVCameraContextHandle) C.MiniAVResultCode {
	return destroyContext(modCamera, unsafe.Pointer(h))
}

//export MiniAV_Camera_Configure
func MiniAV_Camera_Configure(h C.MiniAVCameraContextHandle, id *C.char, fmtp unsafe.Pointer) C.MiniAVResultCode {
	const fn = "MiniAV_Camera_Configure"
	c, code := getContext(modCamera, unsafe.Pointer(h), fn)
	if c == nil {
		return code
	}
	d, err := lookup(id, devices.Camera)
	if err != nil {
		return result(fmt.Errorf("%s: %w", fn, err))
	}
	v, pref, err := fromVideoInfo((*C.MiniAVVideoInfo)(fmtp))
	if err != nil {
		return failf(C.MINIAV_ERROR_FORMAT_NOT_SUPPORTED, "%s: %v", fn, err)
	}
	return c.configure(d, v, pref, c.audio, fn)
}

//export MiniAV_Camera_StartCapture
func MiniAV_Camera_StartCapture(h C.MiniAVCameraContextHandle, cb C.MiniAVBufferCallback, ud unsafe.Pointer) C.MiniAVResultCode {
	return startCapture(modCamera, unsafe.Pointer(h), cb, ud, "MiniAV_Camera_StartCapture")
}

//export MiniAV_Camera_StopCapture
func MiniAV_Camera_StopCapture(h C.MiniAVCameraContextHandle) C.MiniAVResultCode {
	return stopCapture(modCamera, unsafe.Pointer(h), "MiniAV_Camera_StopCapture")
}

//export MiniAV_Camera_SetDeviceChangeCallback
func MiniAV_Camera_SetDeviceChangeCallback(cb C.MiniAVDeviceChangeCallback, ud unsafe.Pointer) C.MiniAVResultCode {
	return subscribe(&watchCamera, cb, ud, devices.Camera)
}

//export MiniAV_Camera_SetContextLostCallback
func MiniAV_Camera_SetContextLostCallback(h C.MiniAVCameraContextHandle, cb C.MiniAVContextLostCallback, ud unsafe.Pointer) C.MiniAVResultCode {
	return setLost(modCamera, unsafe.Pointer(h), cb, ud, "MiniAV_Camera_SetContextLostCallback")
}
