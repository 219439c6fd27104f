//go:build cgo && !js

package malgo

/*
#include <stdlib.h>

// miniaudio's functions, compiled into the binary by github.com/gen2brain/malgo.
extern void *ma_context_get_log(void *pContext);
extern void ma_log_uninit(void *pLog);

static void *miniav_context_log(void *ctx) { return ma_context_get_log(ctx); }

static void miniav_free_log(void *log) {
	ma_log_uninit(log);
	free(log);
}
*/
import "C"

import (
	"reflect"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// contextLayout reports whether malgo.Context is what contextPtr reads:
// one field, ptr *unsafe.Pointer (github.com/gen2brain/malgo v0.11.24).
var contextLayout = func() bool {
	t := reflect.TypeOf(malgo.Context{})
	return t.NumField() == 1 && t.Field(0).Name == "ptr" && t.Field(0).Type == reflect.TypeOf((*unsafe.Pointer)(nil))
}()

// freeContext uninitialises and frees c, and then the ma_log that malgo's
// InitContext allocated for it (malloc in goSetContextConfigCallbacks),
// which malgo never frees: 144 bytes leaked per context, found by
// AddressSanitizer's leak check on the C ABI's client (cabi/asan_test.go).
// The context's log is always that allocation, never the ma_log inside the
// context: malgo's InitContext, the only way to make an AllocatedContext,
// always sets it. (A context whose initialisation fails still leaks its
// log inside malgo, out of reach.)
func freeContext(c *malgo.AllocatedContext) {
	var log unsafe.Pointer
	if contextLayout {
		if p := *(**unsafe.Pointer)(unsafe.Pointer(&c.Context)); p != nil && *p != nil {
			log = C.miniav_context_log(*p)
		}
	}
	c.Uninit()
	c.Free()
	if log != nil {
		C.miniav_free_log(log)
	}
}
