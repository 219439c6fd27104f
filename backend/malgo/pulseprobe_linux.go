//go:build cgo && linux

package malgo

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>

// The few libpulse functions the probe needs, loaded at run time as
// miniaudio loads them (no libpulse headers or link dependency).
typedef struct {
	void *(*mainloop_new)(void);
	void (*mainloop_free)(void *);
	void *(*mainloop_get_api)(void *);
	int (*mainloop_iterate)(void *, int, int *);
	void *(*context_new)(void *, const char *);
	int (*context_connect)(void *, const char *, int, const void *);
	int (*context_get_state)(void *);
	int (*context_errno)(void *);
	void (*context_disconnect)(void *);
	void (*context_unref)(void *);
	const char *(*strerror)(int);
} miniav_pa;

static miniav_pa miniav_pa_fns;

// miniav_pa_load loads libpulse once (the caller serialises it); it
// returns 0 when libpulse or one of the functions is missing.
static int miniav_pa_load(void) {
	void *h = dlopen("libpulse.so.0", RTLD_NOW);
	if (h == NULL) h = dlopen("libpulse.so", RTLD_NOW);
	if (h == NULL) return 0;
	miniav_pa *p = &miniav_pa_fns;
	p->mainloop_new = dlsym(h, "pa_mainloop_new");
	p->mainloop_free = dlsym(h, "pa_mainloop_free");
	p->mainloop_get_api = dlsym(h, "pa_mainloop_get_api");
	p->mainloop_iterate = dlsym(h, "pa_mainloop_iterate");
	p->context_new = dlsym(h, "pa_context_new");
	p->context_connect = dlsym(h, "pa_context_connect");
	p->context_get_state = dlsym(h, "pa_context_get_state");
	p->context_errno = dlsym(h, "pa_context_errno");
	p->context_disconnect = dlsym(h, "pa_context_disconnect");
	p->context_unref = dlsym(h, "pa_context_unref");
	p->strerror = dlsym(h, "pa_strerror");
	return p->mainloop_new && p->mainloop_free && p->mainloop_get_api && p->mainloop_iterate && p->context_new &&
	       p->context_connect && p->context_get_state && p->context_errno && p->context_disconnect &&
	       p->context_unref && p->strerror;
}

enum { PA_READY = 4, PA_FAILED = 5, PA_TERMINATED = 6, PA_NOAUTOSPAWN = 1 };

// miniav_pa_probe connects a libpulse context to server (NULL: libpulse's
// own choice, as miniaudio makes it), then frees everything it made. It
// returns 0 when the server answered, or 1 with the reason in msg.
static int miniav_pa_probe(const char *server, char *msg, size_t n) {
	miniav_pa *p = &miniav_pa_fns;
	void *m = p->mainloop_new();
	if (m == NULL) {
		snprintf(msg, n, "pa_mainloop_new failed");
		return 1;
	}
	void *c = p->context_new(p->mainloop_get_api(m), "miniav probe");
	if (c == NULL) {
		p->mainloop_free(m);
		snprintf(msg, n, "pa_context_new failed");
		return 1;
	}
	int ok = 0;
	if (p->context_connect(c, server, PA_NOAUTOSPAWN, NULL) >= 0) {
		for (;;) {
			int st = p->context_get_state(c);
			if (st == PA_READY) {
				ok = 1;
				break;
			}
			if (st == PA_FAILED || st == PA_TERMINATED || p->mainloop_iterate(m, 1, NULL) < 0) break;
		}
	}
	if (!ok) snprintf(msg, n, "%s", p->strerror(p->context_errno(c)));
	p->context_disconnect(c);
	p->context_unref(c);
	p->mainloop_free(m);
	return !ok;
}
*/
import "C"

import (
	"errors"
	"sync"
	"unsafe"
)

var paLoad struct {
	once sync.Once
	ok   bool
}

// pulseReachable reports whether a PulseAudio server answers at server
// ("" for libpulse's default), by connecting a libpulse context and
// freeing it again. miniaudio's PulseAudio context initialisation (in
// github.com/gen2brain/malgo v0.11.24) frees only the main loop when the
// connection fails, never the pa_context: every failed attempt leaked a
// memfd and the 64 MiB mapping of the context's memory pool. So the
// pulseaudio backend is handed to miniaudio only once this probe, which
// frees what it made, found the server; a server that dies between the
// probe and miniaudio's own connection still costs one such leak. Without
// libpulse it reports nil: miniaudio then fails before it makes a context.
func pulseReachable(server string) error {
	paLoad.once.Do(func() { paLoad.ok = C.miniav_pa_load() != 0 })
	if !paLoad.ok {
		return nil
	}
	var cs *C.char
	if server != "" {
		cs = C.CString(server)
		defer C.free(unsafe.Pointer(cs))
	}
	var msg [256]C.char
	if C.miniav_pa_probe(cs, &msg[0], C.size_t(len(msg))) != 0 {
		return errors.New("pulseaudio: " + C.GoString(&msg[0]))
	}
	return nil
}
