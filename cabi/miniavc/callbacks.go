//go:build cgo

package main

/*
#include "bridge.h"
*/
import "C"

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// gate counts the application callbacks in flight, so that MiniAV_Dispose
// can stop dispatch and wait for those running to return.
var gate = struct {
	mu       sync.Mutex
	cond     sync.Cond
	disabled bool
	inflight int
}{}

func init() { gate.cond.L = &gate.mu }

// enter reports whether callbacks may be called now; if so the caller
// calls one and then leave.
func enter() bool {
	gate.mu.Lock()
	defer gate.mu.Unlock()
	if gate.disabled {
		return false
	}
	gate.inflight++
	return true
}

func leave() {
	gate.mu.Lock()
	gate.inflight--
	gate.cond.Broadcast()
	gate.mu.Unlock()
}

//export MiniAV_Dispose
func MiniAV_Dispose() C.MiniAVResultCode {
	own := int(C.miniavc_depth()) // called from inside a callback: do not wait for it
	gate.mu.Lock()
	gate.disabled = true
	for gate.inflight > own {
		gate.cond.Wait()
	}
	gate.mu.Unlock()
	return C.MINIAV_SUCCESS
}

//export MiniAV_EnableCallbacks
func MiniAV_EnableCallbacks() C.MiniAVResultCode {
	gate.mu.Lock()
	gate.disabled = false
	gate.mu.Unlock()
	return C.MINIAV_SUCCESS
}

// The log callback and level. Messages are slog records of the library
// and of every stream it opens, formatted as "message key=value ...", in a
// malloc'ed string the receiver frees with MiniAV_Free. They are handed
// over by one goroutine of the library, in order, through a queue: logging
// never waits for the application (a full queue drops messages, counted in
// the next one delivered), and a log callback may call any MiniAV function.
var logSink struct {
	mu sync.Mutex
	cb C.MiniAVLogCallback
	ud C.uintptr_t
}

type logMsg struct {
	level C.MiniAVLogLevel
	msg   string
}

var (
	logQueue   = make(chan logMsg, 256)
	logStart   sync.Once
	logDropped atomic.Int64
)

// deliverLogs hands the queued messages to the callback set when each is
// delivered (none: dropped).
func deliverLogs() {
	for m := range logQueue {
		logSink.mu.Lock()
		cb, ud := logSink.cb, logSink.ud
		logSink.mu.Unlock()
		if n := logDropped.Swap(0); n > 0 {
			m.msg += fmt.Sprintf(" (%d earlier messages dropped: the log callback is slow)", n)
		}
		if cb == nil || !enter() {
			continue
		}
		C.miniavc_call_log(cb, m.level, C.CString(m.msg), ud) // the receiver frees it
		leave()
	}
}

// logLevel is the MiniAVLogLevel set (default INFO).
var logLevel atomic.Int32

func init() { logLevel.Store(C.MINIAV_LOG_LEVEL_INFO) }

// logger is what the library and its streams log to.
var logger = slog.New(cHandler{})

//export MiniAV_SetLogCallback
func MiniAV_SetLogCallback(cb C.MiniAVLogCallback, ud unsafe.Pointer) C.MiniAVResultCode {
	logSink.mu.Lock()
	logSink.cb, logSink.ud = cb, C.uintptr_t(uintptr(ud))
	logSink.mu.Unlock()
	return C.MINIAV_SUCCESS
}

//export MiniAV_SetLogLevel
func MiniAV_SetLogLevel(level C.MiniAVLogLevel) C.MiniAVResultCode {
	if level < C.MINIAV_LOG_LEVEL_TRACE || level > C.MINIAV_LOG_LEVEL_NONE {
		return C.MINIAV_ERROR_INVALID_ARG
	}
	logLevel.Store(int32(level))
	return C.MINIAV_SUCCESS
}

// toC maps a slog level to the MiniAVLogLevel that covers it.
func toC(l slog.Level) C.MiniAVLogLevel {
	switch {
	case l >= slog.LevelError:
		return C.MINIAV_LOG_LEVEL_ERROR
	case l >= slog.LevelWarn:
		return C.MINIAV_LOG_LEVEL_WARN
	case l >= slog.LevelInfo:
		return C.MINIAV_LOG_LEVEL_INFO
	case l >= slog.LevelDebug:
		return C.MINIAV_LOG_LEVEL_DEBUG
	}
	return C.MINIAV_LOG_LEVEL_TRACE
}

// cHandler is the slog.Handler that hands records to the log callback.
type cHandler struct {
	attrs string // preformatted " key=value" of WithAttrs
	group string
}

func (cHandler) Enabled(_ context.Context, l slog.Level) bool {
	lv := logLevel.Load()
	return lv != C.MINIAV_LOG_LEVEL_NONE && int32(toC(l)) >= lv
}

func (h cHandler) Handle(_ context.Context, r slog.Record) error {
	logSink.mu.Lock()
	cb := logSink.cb
	logSink.mu.Unlock()
	if cb == nil {
		return nil
	}
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, h.group, a)
		return true
	})
	logStart.Do(func() { go deliverLogs() })
	select {
	case logQueue <- logMsg{toC(r.Level), b.String()}:
	default:
		logDropped.Add(1)
	}
	return nil
}

func writeAttr(b *strings.Builder, group string, a slog.Attr) {
	if group != "" {
		a.Key = group + "." + a.Key
	}
	fmt.Fprintf(b, " %s=%v", a.Key, a.Value)
}

func (h cHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range as {
		writeAttr(&b, h.group, a)
	}
	h.attrs = b.String()
	return h
}

func (h cHandler) WithGroup(name string) slog.Handler {
	if h.group != "" {
		name = h.group + "." + name
	}
	h.group = name
	return h
}
