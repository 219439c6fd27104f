//go:build cgo

package main

/*
#define MINIAV_NO_PROTOTYPES
#include <stdlib.h>
#include "miniav.h"

void miniav__set_error(const char *msg, size_t n);
const char *miniav__get_error(void);
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime/debug"
	"unsafe"

	"github.com/miniav-go/miniav"
)

// Status codes, as in miniav.h.
const (
	statusOK               = C.MINIAV_OK
	errNotFound            = C.MINIAV_ERR_NOT_FOUND
	errNotSupported        = C.MINIAV_ERR_NOT_SUPPORTED
	errBusy                = C.MINIAV_ERR_BUSY
	errDeviceLost          = C.MINIAV_ERR_DEVICE_LOST
	errPermissionDenied    = C.MINIAV_ERR_PERMISSION_DENIED
	errClosed              = C.MINIAV_ERR_CLOSED
	errReleased            = C.MINIAV_ERR_RELEASED
	errInvalid             = C.MINIAV_ERR_INVALID
	errTimeout             = C.MINIAV_ERR_TIMEOUT
	errOther               = C.MINIAV_ERR_OTHER
	abiVersion             = C.MINIAV_ABI_VERSION
	statusNamesUnknownCode = "MINIAV_ERR_UNKNOWN"
)

// sentinels maps miniav's errors to status codes, most specific first.
var sentinels = []struct {
	err  error
	code C.int
}{
	{miniav.ErrNotFound, errNotFound},
	{miniav.ErrNotSupported, errNotSupported},
	{miniav.ErrBusy, errBusy},
	{miniav.ErrDeviceLost, errDeviceLost},
	{miniav.ErrPermissionDenied, errPermissionDenied},
	{miniav.ErrClosed, errClosed},
	{miniav.ErrReleased, errReleased},
	{miniav.ErrInvalid, errInvalid},
}

// code returns the status code for err.
func code(err error) C.int {
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.code
		}
	}
	return errOther
}

// fail records err as the calling thread's last error and returns its code.
func fail(err error) C.int {
	return failCode(code(err), err)
}

// failCode records err under an explicit code.
func failCode(c C.int, err error) C.int {
	msg := err.Error()
	if msg == "" {
		msg = "miniav: error"
	}
	// The string's bytes are pinned for the call; C copies them.
	C.miniav__set_error((*C.char)(unsafe.Pointer(unsafe.StringData(msg))), C.size_t(len(msg)))
	return c
}

func failf(c C.int, format string, args ...any) C.int {
	return failCode(c, fmt.Errorf(format, args...))
}

// Static C strings, allocated once and never freed.
var (
	versionString = C.CString(version())
	statusNames   = func() map[C.int]*C.char {
		m := map[C.int]*C.char{}
		for c, n := range map[C.int]string{
			statusOK: "MINIAV_OK", errNotFound: "MINIAV_ERR_NOT_FOUND", errNotSupported: "MINIAV_ERR_NOT_SUPPORTED",
			errBusy: "MINIAV_ERR_BUSY", errDeviceLost: "MINIAV_ERR_DEVICE_LOST", errPermissionDenied: "MINIAV_ERR_PERMISSION_DENIED",
			errClosed: "MINIAV_ERR_CLOSED", errReleased: "MINIAV_ERR_RELEASED", errInvalid: "MINIAV_ERR_INVALID",
			errTimeout: "MINIAV_ERR_TIMEOUT", errOther: "MINIAV_ERR_OTHER",
		} {
			m[c] = C.CString(n)
		}
		return m
	}()
	unknownStatus = C.CString(statusNamesUnknownCode)
)

// version is the module version the library was built from.
func version() string {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == "github.com/miniav-go/miniav" && bi.Main.Version != "" {
			v = bi.Main.Version
		} else {
			for _, d := range bi.Deps {
				if d.Path == "github.com/miniav-go/miniav" {
					v = d.Version
				}
			}
		}
	}
	return fmt.Sprintf("miniav %s (abi %d)", v, abiVersion)
}

//export miniav_version
func miniav_version() *C.char { return versionString }

//export miniav_abi_version
func miniav_abi_version() C.int { return abiVersion }

//export miniav_last_error
func miniav_last_error() *C.char { return C.miniav__get_error() }

//export miniav_status_name
func miniav_status_name(status C.int) *C.char {
	if p, ok := statusNames[status]; ok {
		return p
	}
	return unknownStatus
}

//export miniav_free
func miniav_free(p unsafe.Pointer) { C.free(p) }
