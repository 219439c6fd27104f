//go:build cgo

package main

/*
#include "bridge.h"
*/
import "C"

import (
	"context"
	"fmt"
	"sync"
	"unsafe"

	"github.com/miniav-go/miniav/devices"
)

// A watchSlot is one module's device-change subscription, a
// devices.Watcher whose events go to the callback.
type watchSlot struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

var watchCamera, watchAudio, watchLoopback, watchDisplay, watchWindow watchSlot

// keepEvents is how many device infos handed to a device-change callback
// stay allocated: receivers that read them later (Dart's listeners) find
// them intact until this many newer events have come.
const keepEvents = 64

// subscribe replaces the subscription of slot with cb (none for NULL).
func subscribe(slot *watchSlot, cb C.MiniAVDeviceChangeCallback, ud unsafe.Pointer, kinds ...devices.Kind) C.MiniAVResultCode {
	slot.mu.Lock()
	defer slot.mu.Unlock()
	if slot.cancel != nil {
		slot.cancel()
		if C.miniavc_depth() == 0 { // not from inside its own callback
			<-slot.done
		}
		slot.cancel, slot.done = nil, nil
	}
	if cb == nil {
		return C.MINIAV_SUCCESS
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := devices.NewWatcher(ctx, devices.WithKinds(kinds...))
	done := make(chan struct{})
	slot.cancel, slot.done = cancel, done
	go notify(w, cb, C.uintptr_t(uintptr(ud)), done)
	return C.MINIAV_SUCCESS
}

// notify calls cb for every event of w until w ends.
func notify(w *devices.Watcher, cb C.MiniAVDeviceChangeCallback, ud C.uintptr_t, done chan struct{}) {
	defer close(done)
	defer w.Close()
	var kept [keepEvents]*C.MiniAVDeviceInfo
	defer func() {
		for _, p := range kept {
			C.free(unsafe.Pointer(p))
		}
	}()
	for i := 0; ; i++ {
		var ev devices.Event
		select {
		case e, ok := <-w.Events:
			if !ok {
				return
			}
			ev = e
		case err, ok := <-w.Errors:
			if ok {
				logger.Warn(fmt.Sprintf("device watch: %v", err))
			}
			continue
		}
		p, s := cArray[C.MiniAVDeviceInfo](1)
		deviceInfo(&s[0], ev.Device)
		slot := &kept[i%keepEvents]
		C.free(unsafe.Pointer(*slot))
		*slot = (*C.MiniAVDeviceInfo)(p)
		op := C.MiniAVDeviceChangeEvent(C.MINIAV_DEVICE_CHANGE_ADDED)
		if ev.Op == devices.Removed {
			op = C.MINIAV_DEVICE_CHANGE_REMOVED
		}
		if enter() {
			C.miniavc_call_device(cb, op, *slot, ud)
			leave()
		}
	}
}
