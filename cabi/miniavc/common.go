//go:build cgo

package main

/*
#cgo CFLAGS: -I${SRCDIR}/include
#include "bridge.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"github.com/miniav-go/miniav"
)

// The API version this library implements.
const (
	versionMajor, versionMinor, versionPatch = 0, 7, 0
)

// versionString is static, as 0.7's is: allocated once, never freed.
var versionString = C.CString(fmt.Sprintf("%d.%d.%d (miniav)", versionMajor, versionMinor, versionPatch))

//export MiniAV_GetVersion
func MiniAV_GetVersion(major, minor, patch *C.uint32_t) C.MiniAVResultCode {
	if major == nil || minor == nil || patch == nil {
		return C.MINIAV_ERROR_INVALID_ARG
	}
	*major, *minor, *patch = versionMajor, versionMinor, versionPatch
	return C.MINIAV_SUCCESS
}

//export MiniAV_GetVersionString
func MiniAV_GetVersionString() *C.char { return versionString }

// resultNames are the static strings of MiniAV_GetErrorString, in the
// order of the codes 0, -1, -2, ...
var resultNames = func() []*C.char {
	names := []string{"Success", "Unknown error", "Invalid argument", "Not initialized", "System call failed",
		"Not supported", "Buffer too small", "Invalid handle", "Device not found", "Device busy",
		"Already running", "Not running", "Out of memory", "Timeout", "Device lost", "Format not supported",
		"Invalid operation", "Not implemented", "Not configured", "Portal failed", "Stream failed",
		"Portal closed", "User cancelled", "Permission denied"}
	cs := make([]*C.char, len(names))
	for i, n := range names {
		cs[i] = C.CString(n)
	}
	return cs
}()

var unknownResult = C.CString("Unknown result code")

//export MiniAV_GetErrorString
func MiniAV_GetErrorString(code C.MiniAVResultCode) *C.char {
	if i := -int(code); i >= 0 && i < len(resultNames) {
		return resultNames[i]
	}
	return unknownResult
}

//export MiniAV_Free
func MiniAV_Free(p unsafe.Pointer) C.MiniAVResultCode {
	C.free(p)
	return C.MINIAV_SUCCESS
}

//export MiniAV_FreeDeviceList
func MiniAV_FreeDeviceList(devs *C.MiniAVDeviceInfo, _ C.uint32_t) C.MiniAVResultCode {
	C.free(unsafe.Pointer(devs))
	return C.MINIAV_SUCCESS
}

//export MiniAV_FreeFormatList
func MiniAV_FreeFormatList(formats unsafe.Pointer, _ C.uint32_t) C.MiniAVResultCode {
	C.free(formats)
	return C.MINIAV_SUCCESS
}

// sentinels maps miniav's errors to 0.7 result codes, most specific first.
var sentinels = []struct {
	err  error
	code C.MiniAVResultCode
}{
	{miniav.ErrNotFound, C.MINIAV_ERROR_DEVICE_NOT_FOUND},
	{miniav.ErrNotSupported, C.MINIAV_ERROR_NOT_SUPPORTED},
	{miniav.ErrBusy, C.MINIAV_ERROR_DEVICE_BUSY},
	{miniav.ErrDeviceLost, C.MINIAV_ERROR_DEVICE_LOST},
	{miniav.ErrPermissionDenied, C.MINIAV_ERROR_PERMISSION_DENIED},
	{miniav.ErrClosed, C.MINIAV_ERROR_NOT_RUNNING},
	{miniav.ErrReleased, C.MINIAV_ERROR_INVALID_HANDLE},
	{miniav.ErrInvalid, C.MINIAV_ERROR_INVALID_ARG},
	{context.DeadlineExceeded, C.MINIAV_ERROR_TIMEOUT},
}

// result returns the code of err (SUCCESS for nil) and logs err.
func result(err error) C.MiniAVResultCode {
	if err == nil {
		return C.MINIAV_SUCCESS
	}
	logger.Warn(err.Error())
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.code
		}
	}
	return C.MINIAV_ERROR_UNKNOWN
}

// failf logs a failure of the caller's making and returns its code.
func failf(code C.MiniAVResultCode, f string, args ...any) C.MiniAVResultCode {
	logger.Warn(fmt.Sprintf(f, args...))
	return code
}
