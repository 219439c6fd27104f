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
	"unsafe"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
)

// Camera properties (include/miniav_ext.h, miniav's extension: 0.7 has
// none) are the device's controls through miniav.Stream.Controls.

// withControls runs f with the controls of camera context h's device: those
// of its running stream, or of a pull stream opened for the call (which
// captures nothing).
func withControls(h unsafe.Pointer, fn string, f func(backend.Controller) error) C.MiniAVResultCode {
	c, code := getContext(modCamera, h, fn)
	if c == nil {
		return code
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.configured {
		return failf(C.MINIAV_ERROR_NOT_CONFIGURED, "%s: context not configured", fn)
	}
	var s *miniav.Stream
	if c.running() {
		s = c.run.streams[0]
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
		defer cancel()
		var err error
		s, err = miniav.Open(ctx, c.dev.ID, append(c.options(), miniav.WithPull())...)
		if err != nil {
			return result(fmt.Errorf("%s %s: %w", fn, c.dev.ID, err))
		}
		defer s.Close()
	}
	ctl, err := s.Controls()
	if err == nil {
		err = f(ctl)
	}
	if errors.Is(err, miniav.ErrNotFound) { // no such control: the argument is wrong, not the device
		return failf(C.MINIAV_ERROR_INVALID_ARG, "%s %s: %v", fn, c.dev.ID, err)
	}
	if err != nil {
		return result(fmt.Errorf("%s %s: %w", fn, c.dev.ID, err))
	}
	return C.MINIAV_SUCCESS
}

var propertyFlags = [...]struct {
	on   func(*backend.Control) bool
	flag C.uint32_t
}{
	{func(c *backend.Control) bool { return c.ReadOnly }, C.MINIAV_PROPERTY_READ_ONLY},
	{func(c *backend.Control) bool { return c.WriteOnly }, C.MINIAV_PROPERTY_WRITE_ONLY},
	{func(c *backend.Control) bool { return c.Inactive }, C.MINIAV_PROPERTY_INACTIVE},
	{func(c *backend.Control) bool { return c.Volatile }, C.MINIAV_PROPERTY_VOLATILE},
}

//export MiniAV_Camera_GetPropertyInfo
func MiniAV_Camera_GetPropertyInfo(h C.MiniAVCameraContextHandle, out **C.MiniAVPropertyInfo, count *C.uint32_t) C.MiniAVResultCode {
	const fn = "MiniAV_Camera_GetPropertyInfo"
	if out == nil || count == nil {
		return failf(C.MINIAV_ERROR_INVALID_ARG, "%s: NULL output", fn)
	}
	*out, *count = nil, 0
	var list []backend.Control
	code := withControls(unsafe.Pointer(h), fn, func(ctl backend.Controller) error {
		ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
		defer cancel()
		var err error
		list, err = ctl.Controls(ctx)
		return err
	})
	if code != C.MINIAV_SUCCESS || len(list) == 0 {
		return code
	}
	arr := (*C.MiniAVPropertyInfo)(C.calloc(C.size_t(len(list)), C.sizeof_MiniAVPropertyInfo))
	if arr == nil {
		return C.MINIAV_ERROR_OUT_OF_MEMORY
	}
	props := unsafe.Slice(arr, len(list))
	for i := range props {
		p, ctl := &props[i], &list[i]
		p.id = C.uint32_t(ctl.ID)
		p._type = C.MiniAVPropertyType(ctl.Type)
		putString(p.name[:], ctl.Name)
		p.min_value, p.max_value, p.step = C.int64_t(ctl.Min), C.int64_t(ctl.Max), C.int64_t(ctl.Step)
		p.default_value, p.current_value = C.int64_t(ctl.Default), C.int64_t(ctl.Value)
		for _, f := range propertyFlags {
			if f.on(ctl) {
				p.flags |= f.flag
			}
		}
		p.menu_count = C.uint32_t(len(ctl.Menu))
	}
	*out, *count = arr, C.uint32_t(len(list))
	return C.MINIAV_SUCCESS
}

//export MiniAV_Camera_GetProperty
func MiniAV_Camera_GetProperty(h C.MiniAVCameraContextHandle, id C.uint32_t, value *C.int64_t) C.MiniAVResultCode {
	const fn = "MiniAV_Camera_GetProperty"
	if value == nil {
		return failf(C.MINIAV_ERROR_INVALID_ARG, "%s: value is NULL", fn)
	}
	return withControls(unsafe.Pointer(h), fn, func(ctl backend.Controller) error {
		v, err := ctl.GetControl(uint32(id))
		*value = C.int64_t(v)
		return err
	})
}

//export MiniAV_Camera_SetProperty
func MiniAV_Camera_SetProperty(h C.MiniAVCameraContextHandle, id C.uint32_t, value C.int64_t) C.MiniAVResultCode {
	return withControls(unsafe.Pointer(h), "MiniAV_Camera_SetProperty", func(ctl backend.Controller) error {
		return ctl.SetControl(uint32(id), int64(value))
	})
}
