//go:build cgo

package main

/*
#include "bridge.h"
*/
import "C"

import "unsafe"

// Input capture, input injection and audio output are modules miniav does
// not have. Their functions exist so that every MiniAV program links; they
// change nothing and return MINIAV_ERROR_NOT_SUPPORTED (NULL from
// MiniAV_AudioOutput_CreateContext, which returns a handle; 0 from the
// getters that return a value).

func unsupported(fn string) C.MiniAVResultCode {
	return failf(C.MINIAV_ERROR_NOT_SUPPORTED, "%s: miniav has no input capture, input injection or audio output", fn)
}

// noList clears a list's out-parameters.
func noList(out **C.MiniAVDeviceInfo, count *C.uint32_t) {
	if out != nil {
		*out = nil
	}
	if count != nil {
		*count = 0
	}
}

//export MiniAV_Input_EnumerateGamepads
func MiniAV_Input_EnumerateGamepads(out **C.MiniAVDeviceInfo, count *C.uint32_t) C.MiniAVResultCode {
	noList(out, count)
	return unsupported("MiniAV_Input_EnumerateGamepads")
}

//export MiniAV_Input_CreateContext
func MiniAV_Input_CreateContext(out *C.MiniAVInputContextHandle) C.MiniAVResultCode {
	if out != nil {
		*out = nil
	}
	return unsupported("MiniAV_Input_CreateContext")
}

//export MiniAV_Input_DestroyContext
func MiniAV_Input_DestroyContext(C.MiniAVInputContextHandle) C.MiniAVResultCode {
	return unsupported("MiniAV_Input_DestroyContext")
}

//export MiniAV_Input_Configure
func MiniAV_Input_Configure(C.MiniAVInputContextHandle, *C.MiniAVInputConfig) C.MiniAVResultCode {
	return unsupported("MiniAV_Input_Configure")
}

//export MiniAV_Input_StartCapture
func MiniAV_Input_StartCapture(C.MiniAVInputContextHandle) C.MiniAVResultCode {
	return unsupported("MiniAV_Input_StartCapture")
}

//export MiniAV_Input_StopCapture
func MiniAV_Input_StopCapture(C.MiniAVInputContextHandle) C.MiniAVResultCode {
	return unsupported("MiniAV_Input_StopCapture")
}

//export MiniAV_Input_GetLatestMotion
func MiniAV_Input_GetLatestMotion(C.MiniAVInputContextHandle, *C.MiniAVMotionEvent) C.MiniAVResultCode {
	return unsupported("MiniAV_Input_GetLatestMotion")
}

//export MiniAV_Input_SetGamepadChangeCallback
func MiniAV_Input_SetGamepadChangeCallback(C.MiniAVDeviceChangeCallback, unsafe.Pointer) C.MiniAVResultCode {
	return unsupported("MiniAV_Input_SetGamepadChangeCallback")
}

//export MiniAV_Inject_CreateContext
func MiniAV_Inject_CreateContext(out *C.MiniAVInjectContextHandle) C.MiniAVResultCode {
	if out != nil {
		*out = nil
	}
	return unsupported("MiniAV_Inject_CreateContext")
}

//export MiniAV_Inject_DestroyContext
func MiniAV_Inject_DestroyContext(C.MiniAVInjectContextHandle) C.MiniAVResultCode {
	return unsupported("MiniAV_Inject_DestroyContext")
}

//export MiniAV_Inject_Configure
func MiniAV_Inject_Configure(C.MiniAVInjectContextHandle, C.uint32_t) C.MiniAVResultCode {
	return unsupported("MiniAV_Inject_Configure")
}

//export MiniAV_Inject_Keyboard
func MiniAV_Inject_Keyboard(C.MiniAVInjectContextHandle, *C.MiniAVKeyboardEvent) C.MiniAVResultCode {
	return unsupported("MiniAV_Inject_Keyboard")
}

//export MiniAV_Inject_Mouse
func MiniAV_Inject_Mouse(C.MiniAVInjectContextHandle, *C.MiniAVMouseEvent) C.MiniAVResultCode {
	return unsupported("MiniAV_Inject_Mouse")
}

//export MiniAV_AudioOutput_EnumerateDevices
func MiniAV_AudioOutput_EnumerateDevices(out **C.MiniAVDeviceInfo, count *C.uint32_t) C.MiniAVResultCode {
	noList(out, count)
	return unsupported("MiniAV_AudioOutput_EnumerateDevices")
}

//export MiniAV_AudioOutput_GetDefaultFormat
func MiniAV_AudioOutput_GetDefaultFormat(*C.char, *C.MiniAVAudioInfo) C.MiniAVResultCode {
	return unsupported("MiniAV_AudioOutput_GetDefaultFormat")
}

//export MiniAV_AudioOutput_CreateContext
func MiniAV_AudioOutput_CreateContext() C.MiniAVAudioOutputContextHandle {
	unsupported("MiniAV_AudioOutput_CreateContext")
	return nil
}

//export MiniAV_AudioOutput_DestroyContext
func MiniAV_AudioOutput_DestroyContext(C.MiniAVAudioOutputContextHandle) C.MiniAVResultCode {
	return unsupported("MiniAV_AudioOutput_DestroyContext")
}

//export MiniAV_AudioOutput_Configure
func MiniAV_AudioOutput_Configure(C.MiniAVAudioOutputContextHandle, *C.char, C.int, C.uint32_t, C.uint32_t, C.uint32_t) C.MiniAVResultCode {
	return unsupported("MiniAV_AudioOutput_Configure")
}

//export MiniAV_AudioOutput_GetConfiguredFormat
func MiniAV_AudioOutput_GetConfiguredFormat(C.MiniAVAudioOutputContextHandle, *C.MiniAVAudioInfo) C.MiniAVResultCode {
	return unsupported("MiniAV_AudioOutput_GetConfiguredFormat")
}

//export MiniAV_AudioOutput_Start
func MiniAV_AudioOutput_Start(C.MiniAVAudioOutputContextHandle) C.MiniAVResultCode {
	return unsupported("MiniAV_AudioOutput_Start")
}

//export MiniAV_AudioOutput_Stop
func MiniAV_AudioOutput_Stop(C.MiniAVAudioOutputContextHandle) C.MiniAVResultCode {
	return unsupported("MiniAV_AudioOutput_Stop")
}

//export MiniAV_AudioOutput_Clear
func MiniAV_AudioOutput_Clear(C.MiniAVAudioOutputContextHandle) C.MiniAVResultCode {
	return unsupported("MiniAV_AudioOutput_Clear")
}

//export MiniAV_AudioOutput_WriteFrames
func MiniAV_AudioOutput_WriteFrames(C.MiniAVAudioOutputContextHandle, *C.float, C.uint32_t) C.int {
	return C.int(unsupported("MiniAV_AudioOutput_WriteFrames"))
}

//export MiniAV_AudioOutput_GetBufferedFrames
func MiniAV_AudioOutput_GetBufferedFrames(C.MiniAVAudioOutputContextHandle) C.uint32_t { return 0 }

//export MiniAV_AudioOutput_GetWritableFrames
func MiniAV_AudioOutput_GetWritableFrames(C.MiniAVAudioOutputContextHandle) C.uint32_t { return 0 }

//export MiniAV_AudioOutput_SetVolume
func MiniAV_AudioOutput_SetVolume(C.MiniAVAudioOutputContextHandle, C.float) C.MiniAVResultCode {
	return unsupported("MiniAV_AudioOutput_SetVolume")
}

//export MiniAV_AudioOutput_GetVolume
func MiniAV_AudioOutput_GetVolume(C.MiniAVAudioOutputContextHandle) C.float { return 0 }

//export MiniAV_AudioOutput_SetPan
func MiniAV_AudioOutput_SetPan(C.MiniAVAudioOutputContextHandle, C.float) C.MiniAVResultCode {
	return unsupported("MiniAV_AudioOutput_SetPan")
}

//export MiniAV_AudioOutput_GetPan
func MiniAV_AudioOutput_GetPan(C.MiniAVAudioOutputContextHandle) C.float { return 0 }

//export MiniAV_AudioOutput_SetPitch
func MiniAV_AudioOutput_SetPitch(C.MiniAVAudioOutputContextHandle, C.float) C.MiniAVResultCode {
	return unsupported("MiniAV_AudioOutput_SetPitch")
}

//export MiniAV_AudioOutput_GetPitch
func MiniAV_AudioOutput_GetPitch(C.MiniAVAudioOutputContextHandle) C.float { return 0 }

//export MiniAV_AudioOutput_IsStarted
func MiniAV_AudioOutput_IsStarted(C.MiniAVAudioOutputContextHandle) C.int { return 0 }

//export MiniAV_AudioOutput_SetContextLostCallback
func MiniAV_AudioOutput_SetContextLostCallback(C.MiniAVAudioOutputContextHandle, C.MiniAVContextLostCallback, unsafe.Pointer) C.MiniAVResultCode {
	return unsupported("MiniAV_AudioOutput_SetContextLostCallback")
}
