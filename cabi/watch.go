//go:build cgo

package main

/*
#define MINIAV_NO_PROTOTYPES
#include "miniav.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/devices"
)

// A watch is a devices.Watcher behind a handle, with the latest
// enumeration error no miniav_watch_next has reported yet.
type watch struct {
	w   *devices.Watcher
	mu  sync.Mutex
	err error
}

// jsonEvent is the object miniav_watch_next returns.
type jsonEvent struct {
	Op     string     `json:"op"`
	Device jsonDevice `json:"device"`
}

// parseKinds parses miniav_watch_open's kinds: "" for every kind, else
// comma-separated kind names ("camera,microphone"), spaces around a name
// ignored.
func parseKinds(s string) ([]devices.Kind, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var ks []devices.Kind
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		k, ok := backend.ParseKind(name)
		if !ok {
			return nil, fmt.Errorf("kinds %q: unknown kind %q (want camera, display, window, microphone or loopback, comma-separated): %w", s, name, miniav.ErrInvalid)
		}
		ks = append(ks, k)
	}
	return ks, nil
}

// millis converts milliseconds to a duration, saturating instead of
// overflowing.
func millis(ms C.int64_t) time.Duration {
	if int64(ms) > math.MaxInt64/int64(time.Millisecond) {
		return math.MaxInt64
	}
	return time.Duration(ms) * time.Millisecond
}

//export miniav_watch_open
func miniav_watch_open(kinds *C.char, intervalMs C.int64_t, out *C.miniav_watch_t) C.int {
	if out == nil {
		return failf(errInvalid, "miniav_watch_open: out is NULL")
	}
	*out = 0
	var ks []devices.Kind
	if kinds != nil {
		var err error
		if ks, err = parseKinds(C.GoString(kinds)); err != nil {
			return failCode(errInvalid, fmt.Errorf("miniav_watch_open: %w", err))
		}
	}
	opts := []devices.WatchOption{devices.WithKinds(ks...)}
	switch {
	case intervalMs < 0:
		opts = append(opts, devices.WithInterval(0)) // notifications only
	case intervalMs > 0:
		opts = append(opts, devices.WithInterval(millis(intervalMs)))
	} // 0: devices.DefaultInterval
	w := &watch{w: devices.NewWatcher(context.Background(), opts...)}
	*out = C.miniav_watch_t(watches.Add(w))
	return statusOK
}

// lookupWatch returns the open watch of h, or a failure code.
func lookupWatch(h C.miniav_watch_t, fn string) (*watch, C.int) {
	w, open, issued := watches.Lookup(uint64(h))
	switch {
	case open:
		return w, statusOK
	case issued:
		return nil, failf(errClosed, "%s: watch %d is closed", fn, uint64(h))
	}
	return nil, failf(errInvalid, "%s: no watch %d", fn, uint64(h))
}

//export miniav_watch_next
func miniav_watch_next(h C.miniav_watch_t, timeoutMs C.int64_t, out **C.char) C.int {
	if out == nil {
		return failf(errInvalid, "miniav_watch_next: event_json is NULL")
	}
	*out = nil
	w, c := lookupWatch(h, "miniav_watch_next")
	if w == nil {
		return c
	}
	var deadline <-chan time.Time
	if timeoutMs > 0 {
		t := time.NewTimer(millis(timeoutMs))
		defer t.Stop()
		deadline = t.C
	}
	errs := w.w.Errors
	for {
		if timeoutMs == 0 {
			select {
			case ev, ok := <-w.w.Events:
				return w.deliver(h, ev, ok, out)
			case err, ok := <-errs:
				errs = w.keep(errs, err, ok)
			default:
				return w.timedOut("no event ready")
			}
			continue
		}
		select {
		case ev, ok := <-w.w.Events:
			return w.deliver(h, ev, ok, out)
		case err, ok := <-errs:
			errs = w.keep(errs, err, ok)
		case <-deadline:
			return w.timedOut(fmt.Sprintf("no event within %d ms", int64(timeoutMs)))
		}
	}
}

// keep records an error received from the Watcher's Errors, and returns
// the channel to receive from next: nil once it is closed (the watch is
// closing, and Events is closed too).
func (w *watch) keep(errs <-chan error, err error, ok bool) <-chan error {
	if !ok {
		return nil
	}
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
	return errs
}

// timedOut fails with MINIAV_ERR_TIMEOUT, and a message that carries the
// enumeration error received since the last one reported, if any.
func (w *watch) timedOut(msg string) C.int {
	w.mu.Lock()
	err := w.err
	w.err = nil
	w.mu.Unlock()
	if err != nil {
		return failf(errTimeout, "miniav_watch_next: %s; the watch goes on, but enumerating failed: %w", msg, err)
	}
	return failf(errTimeout, "miniav_watch_next: %s", msg)
}

// deliver hands C the event received from Events (ok false: it is closed).
func (w *watch) deliver(h C.miniav_watch_t, ev devices.Event, ok bool, out **C.char) C.int {
	if !ok {
		return failf(errClosed, "miniav_watch_next: watch %d is closed", uint64(h))
	}
	b, err := json.Marshal(jsonEvent{Op: ev.Op.String(), Device: toJSON(ev.Device)})
	if err != nil {
		return fail(fmt.Errorf("miniav_watch_next: %w", err))
	}
	*out = cJSON(b)
	return statusOK
}

//export miniav_watch_close
func miniav_watch_close(h C.miniav_watch_t) C.int {
	w, open, issued := watches.Remove(uint64(h))
	if !open {
		if issued {
			return statusOK
		}
		return failf(errInvalid, "miniav_watch_close: no watch %d", uint64(h))
	}
	// Closing the Watcher closes Events, which wakes every
	// miniav_watch_next blocked on this watch with MINIAV_ERR_CLOSED; it
	// returns once the Watcher's goroutines are gone.
	w.w.Close()
	return statusOK
}
