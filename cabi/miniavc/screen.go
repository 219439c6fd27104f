//go:build cgo

package main

/*
#include "bridge.h"
*/
import "C"

import (
	"context"
	"fmt"
	"image"
	"unsafe"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/devices"
	"github.com/miniav-go/miniav/format"
)

//export MiniAV_Screen_CreateContext
func MiniAV_Screen_CreateContext(out *C.MiniAVScreenContextHandle) C.MiniAVResultCode {
	return createContext(modScreen, (*unsafe.Pointer)(unsafe.Pointer(out)))
}

//export MiniAV_Screen_DestroyContext
func MiniAV_Screen_DestroyContext(h C.MiniAVScreenContextHandle) C.MiniAVResultCode {
	return destroyContext(modScreen, unsafe.Pointer(h))
}

//export MiniAV_Screen_EnumerateDisplays
func MiniAV_Screen_EnumerateDisplays(out **C.MiniAVDeviceInfo, count *C.uint32_t) C.MiniAVResultCode {
	return enumerate(out, count, devices.Display)
}

//export MiniAV_Screen_EnumerateWindows
func MiniAV_Screen_EnumerateWindows(out **C.MiniAVDeviceInfo, count *C.uint32_t) C.MiniAVResultCode {
	return enumerate(out, count, devices.Window)
}

// screenAudio returns the loopback device captured with the screen: the
// default one, or "" when there is none.
func screenAudio() (string, format.Audio) {
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	d, err := devices.Default(ctx, devices.Loopback)
	if err != nil || d.Kind != devices.Loopback {
		logger.Warn(fmt.Sprintf("screen capture: no audio loopback device to capture with it: %v", err))
		return "", format.Audio{}
	}
	info, err := probe(d.ID)
	if err != nil {
		logger.Warn(fmt.Sprintf("screen capture: audio %s: %v", d.ID, err))
		return "", format.Audio{}
	}
	return d.ID, info.Audio
}

//export MiniAV_Screen_GetDefaultFormats
func MiniAV_Screen_GetDefaultFormats(id *C.char, v *C.MiniAVVideoInfo, a *C.MiniAVAudioInfo) C.MiniAVResultCode {
	if code := defaultVideo(id, v, "MiniAV_Screen_GetDefaultFormats", devices.Display, devices.Window); code != C.MINIAV_SUCCESS {
		return code
	}
	if a != nil {
		_, af := screenAudio()
		*a = audioInfo(af)
	}
	return C.MINIAV_SUCCESS
}

// configureScreen is ConfigureDisplay, ConfigureWindow and ConfigureRegion.
func configureScreen(h C.MiniAVScreenContextHandle, id *C.char, vi *C.MiniAVVideoInfo, withAudio C.bool,
	region func(devices.Device) (image.Rectangle, error), fn string, kinds ...devices.Kind) C.MiniAVResultCode {
	c, code := getContext(modScreen, unsafe.Pointer(h), fn)
	if c == nil {
		return code
	}
	d, err := lookup(id, kinds...)
	if err != nil {
		return result(fmt.Errorf("%s: %w", fn, err))
	}
	v, pref, err := fromVideoInfo(vi)
	if err != nil {
		return failf(C.MINIAV_ERROR_FORMAT_NOT_SUPPORTED, "%s: %v", fn, err)
	}
	var r image.Rectangle
	if region != nil {
		if r, err = region(d); err != nil {
			return result(fmt.Errorf("%s: %w", fn, err))
		}
	}
	var audioDev string
	var af format.Audio
	if withAudio {
		audioDev, af = screenAudio()
	}
	c.mu.Lock()
	c.region, c.audioDev, c.audioInfo = r, audioDev, af
	c.mu.Unlock()
	return c.configure(d, v, pref, format.Audio{}, fn)
}

//export MiniAV_Screen_ConfigureDisplay
func MiniAV_Screen_ConfigureDisplay(h C.MiniAVScreenContextHandle, id *C.char, v *C.MiniAVVideoInfo, withAudio C.bool) C.MiniAVResultCode {
	return configureScreen(h, id, v, withAudio, nil, "MiniAV_Screen_ConfigureDisplay", devices.Display)
}

//export MiniAV_Screen_ConfigureWindow
func MiniAV_Screen_ConfigureWindow(h C.MiniAVScreenContextHandle, id *C.char, v *C.MiniAVVideoInfo, withAudio C.bool) C.MiniAVResultCode {
	return configureScreen(h, id, v, withAudio, nil, "MiniAV_Screen_ConfigureWindow", devices.Window)
}

//export MiniAV_Screen_ConfigureRegion
func MiniAV_Screen_ConfigureRegion(h C.MiniAVScreenContextHandle, id *C.char, x, y, w, ht C.int, v *C.MiniAVVideoInfo, withAudio C.bool) C.MiniAVResultCode {
	region := func(d devices.Device) (image.Rectangle, error) {
		r := image.Rect(int(x), int(y), int(x+w), int(y+ht)).Add(d.Bounds.Min)
		if w <= 0 || ht <= 0 || (!d.Bounds.Empty() && !r.In(d.Bounds)) {
			return r, fmt.Errorf("region %v is empty or outside display %s (%v): %w", r, d.ID, d.Bounds, miniav.ErrInvalid)
		}
		return r, nil
	}
	return configureScreen(h, id, v, withAudio, region, "MiniAV_Screen_ConfigureRegion", devices.Display)
}

//export MiniAV_Screen_GetConfiguredFormats
func MiniAV_Screen_GetConfiguredFormats(h C.MiniAVScreenContextHandle, v *C.MiniAVVideoInfo, a *C.MiniAVAudioInfo) C.MiniAVResultCode {
	c, code := getContext(modScreen, unsafe.Pointer(h), "MiniAV_Screen_GetConfiguredFormats")
	if c == nil {
		return code
	}
	return c.configuredVideo(v, a, "MiniAV_Screen_GetConfiguredFormats")
}

//export MiniAV_Screen_StartCapture
func MiniAV_Screen_StartCapture(h C.MiniAVScreenContextHandle, cb C.MiniAVBufferCallback, ud unsafe.Pointer) C.MiniAVResultCode {
	return startCapture(modScreen, unsafe.Pointer(h), cb, ud, "MiniAV_Screen_StartCapture")
}

//export MiniAV_Screen_StopCapture
func MiniAV_Screen_StopCapture(h C.MiniAVScreenContextHandle) C.MiniAVResultCode {
	return stopCapture(modScreen, unsafe.Pointer(h), "MiniAV_Screen_StopCapture")
}

//export MiniAV_Screen_SetDisplayChangeCallback
func MiniAV_Screen_SetDisplayChangeCallback(cb C.MiniAVDeviceChangeCallback, ud unsafe.Pointer) C.MiniAVResultCode {
	return subscribe(&watchDisplay, cb, ud, devices.Display)
}

//export MiniAV_Screen_SetWindowChangeCallback
func MiniAV_Screen_SetWindowChangeCallback(cb C.MiniAVDeviceChangeCallback, ud unsafe.Pointer) C.MiniAVResultCode {
	return subscribe(&watchWindow, cb, ud, devices.Window)
}

//export MiniAV_Screen_SetContextLostCallback
func MiniAV_Screen_SetContextLostCallback(h C.MiniAVScreenContextHandle, cb C.MiniAVContextLostCallback, ud unsafe.Pointer) C.MiniAVResultCode {
	return setLost(modScreen, unsafe.Pointer(h), cb, ud, "MiniAV_Screen_SetContextLostCallback")
}

//export MiniAV_Screen_SetCaptureCursor
func MiniAV_Screen_SetCaptureCursor(h C.MiniAVScreenContextHandle, on C.bool) C.MiniAVResultCode {
	c, code := getContext(modScreen, unsafe.Pointer(h), "MiniAV_Screen_SetCaptureCursor")
	if c == nil {
		return code
	}
	c.mu.Lock()
	c.cursor = bool(on)
	c.mu.Unlock()
	return C.MINIAV_SUCCESS
}

//export MiniAV_Screen_SetAndroidMediaProjection
func MiniAV_Screen_SetAndroidMediaProjection(jvm, projection unsafe.Pointer) C.MiniAVResultCode {
	return failf(C.MINIAV_ERROR_NOT_SUPPORTED, "MiniAV_Screen_SetAndroidMediaProjection: Android only")
}

//export MiniAV_Screen_SetIOSAppGroup
func MiniAV_Screen_SetIOSAppGroup(_ *C.char) C.MiniAVResultCode {
	return failf(C.MINIAV_ERROR_NOT_SUPPORTED, "MiniAV_Screen_SetIOSAppGroup: iOS only")
}
