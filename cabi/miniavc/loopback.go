//go:build cgo

package main

/*
#include "bridge.h"
*/
import "C"

import (
	"unsafe"

	"github.com/miniav-go/miniav/devices"
)

// Loopback targets are miniav's loopback devices (the monitor sources of
// the audio server's outputs): system audio. Per-process and per-window
// targets are not supported.

//export MiniAV_Loopback_EnumerateTargets
func MiniAV_Loopback_EnumerateTargets(filter C.MiniAVLoopbackTargetType, out **C.MiniAVDeviceInfo, count *C.uint32_t) C.MiniAVResultCode {
	switch filter {
	case C.MINIAV_LOOPBACK_TARGET_NONE, C.MINIAV_LOOPBACK_TARGET_SYSTEM_AUDIO:
		return enumerate(out, count, devices.Loopback)
	case C.MINIAV_LOOPBACK_TARGET_PROCESS, C.MINIAV_LOOPBACK_TARGET_WINDOW:
		if out != nil && count != nil {
			*out, *count = nil, 0
		}
		return failf(C.MINIAV_ERROR_NOT_SUPPORTED, "MiniAV_Loopback_EnumerateTargets: per-process and per-window loopback is not supported")
	}
	return failf(C.MINIAV_ERROR_INVALID_ARG, "MiniAV_Loopback_EnumerateTargets: target type %d", filter)
}

//export MiniAV_Loopback_GetSupportedFormats
func MiniAV_Loopback_GetSupportedFormats(id *C.char, out **C.MiniAVAudioInfo, count *C.uint32_t) C.MiniAVResultCode {
	return supportedAudio(id, out, count, "MiniAV_Loopback_GetSupportedFormats", devices.Loopback)
}

//export MiniAV_Loopback_GetDefaultFormat
func MiniAV_Loopback_GetDefaultFormat(id *C.char, out *C.MiniAVAudioInfo) C.MiniAVResultCode {
	return defaultAudio(id, out, "MiniAV_Loopback_GetDefaultFormat", devices.Loopback)
}

//export MiniAV_Loopback_GetConfiguredFormat
func MiniAV_Loopback_GetConfiguredFormat(h C.MiniAVLoopbackContextHandle, out *C.MiniAVAudioInfo) C.MiniAVResultCode {
	return configuredAudio(modLoopback, unsafe.Pointer(h), out, "MiniAV_Loopback_GetConfiguredFormat")
}

//export MiniAV_Loopback_CreateContext
func MiniAV_Loopback_CreateContext(out *C.MiniAVLoopbackContextHandle) C.MiniAVResultCode {
	return createContext(modLoopback, (*unsafe.Pointer)(unsafe.Pointer(out)))
}

//export MiniAV_Loopback_DestroyContext
func MiniAV_Loopback_DestroyContext(h C.MiniAVLoopbackContextHandle) C.MiniAVResultCode {
	return destroyContext(modLoopback, unsafe.Pointer(h))
}

//export MiniAV_Loopback_Configure
func MiniAV_Loopback_Configure(h C.MiniAVLoopbackContextHandle, id *C.char, ai *C.MiniAVAudioInfo) C.MiniAVResultCode {
	return configureAudio(modLoopback, unsafe.Pointer(h), id, ai, devices.Loopback, "MiniAV_Loopback_Configure")
}

//export MiniAV_Loopback_StartCapture
func MiniAV_Loopback_StartCapture(h C.MiniAVLoopbackContextHandle, cb C.MiniAVBufferCallback, ud unsafe.Pointer) C.MiniAVResultCode {
	return startCapture(modLoopback, unsafe.Pointer(h), cb, ud, "MiniAV_Loopback_StartCapture")
}

//export MiniAV_Loopback_StopCapture
func MiniAV_Loopback_StopCapture(h C.MiniAVLoopbackContextHandle) C.MiniAVResultCode {
	return stopCapture(modLoopback, unsafe.Pointer(h), "MiniAV_Loopback_StopCapture")
}

//export MiniAV_Loopback_SetDeviceChangeCallback
func MiniAV_Loopback_SetDeviceChangeCallback(cb C.MiniAVDeviceChangeCallback, ud unsafe.Pointer) C.MiniAVResultCode {
	return subscribe(&watchLoopback, cb, ud, devices.Loopback)
}

//export MiniAV_Loopback_SetContextLostCallback
func MiniAV_Loopback_SetContextLostCallback(h C.MiniAVLoopbackContextHandle, cb C.MiniAVContextLostCallback, ud unsafe.Pointer) C.MiniAVResultCode {
	return setLost(modLoopback, unsafe.Pointer(h), cb, ud, "MiniAV_Loopback_SetContextLostCallback")
}
