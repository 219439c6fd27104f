//go:build cgo && linux

package malgo

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
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

// The pa_contexts made through a patched miniaudio context (see
// miniav_pa_patch), each with the main loop API it was made on, until
// they are unreferenced.
#define MINIAV_PA_TRACKED 256
static struct { void *ctx, *api; } miniav_pa_live[MINIAV_PA_TRACKED];
static pthread_mutex_t miniav_pa_mu = PTHREAD_MUTEX_INITIALIZER;

static void *miniav_pa_context_new(void *api, const char *name) {
	void *c = miniav_pa_fns.context_new(api, name);
	if (c == NULL) return NULL;
	pthread_mutex_lock(&miniav_pa_mu);
	for (int i = 0; i < MINIAV_PA_TRACKED; i++) {
		if (miniav_pa_live[i].ctx == NULL) {
			miniav_pa_live[i].ctx = c;
			miniav_pa_live[i].api = api;
			break;
		}
	}
	pthread_mutex_unlock(&miniav_pa_mu);
	return c;
}

static void miniav_pa_forget(void *c) {
	pthread_mutex_lock(&miniav_pa_mu);
	for (int i = 0; i < MINIAV_PA_TRACKED; i++)
		if (miniav_pa_live[i].ctx == c) miniav_pa_live[i].ctx = NULL;
	pthread_mutex_unlock(&miniav_pa_mu);
}

static void miniav_pa_context_unref(void *c) {
	miniav_pa_forget(c);
	miniav_pa_fns.context_unref(c);
}

// miniav_pa_mainloop_free frees a main loop after unreferencing the
// contexts still made on it: miniaudio frees the main loop of a failed
// connection and forgets its context. A context cannot outlive its main
// loop, so one still tracked here is one miniaudio dropped.
static void miniav_pa_mainloop_free(void *m) {
	void *api = miniav_pa_fns.mainloop_get_api(m);
	for (;;) {
		void *c = NULL;
		pthread_mutex_lock(&miniav_pa_mu);
		for (int i = 0; i < MINIAV_PA_TRACKED && c == NULL; i++) {
			if (miniav_pa_live[i].ctx != NULL && miniav_pa_live[i].api == api) {
				c = miniav_pa_live[i].ctx;
				miniav_pa_live[i].ctx = NULL;
			}
		}
		pthread_mutex_unlock(&miniav_pa_mu);
		if (c == NULL) break;
		miniav_pa_fns.context_disconnect(c);
		miniav_pa_fns.context_unref(c);
	}
	miniav_pa_fns.mainloop_free(m);
}

// miniav_pa_patch points a miniaudio PulseAudio context's copies of
// pa_context_new, pa_context_unref and pa_mainloop_free at the wrappers
// above, so that the devices it initialises later free the pa_context of
// a failed connection. miniaudio keeps libpulse's functions in the
// context as a run of pointers loaded with dlsym (pa_mainloop_new,
// pa_mainloop_free, pa_mainloop_quit, pa_mainloop_get_api, ... with
// pa_context_new 19 and pa_context_unref 20 after pa_mainloop_new); the
// run is found by value in the context's allocation and patched only if
// it appears exactly once. It returns 1 when patched.
static int miniav_pa_patch(void *mctx) {
	miniav_pa *p = &miniav_pa_fns;
	if (mctx == NULL) return 0;
	void **w = mctx;
	size_t n = malloc_usable_size(mctx) / sizeof(void *);
	void **at = NULL;
	for (size_t i = 0; i + 21 < n; i++) {
		if (w[i] == (void *)p->mainloop_new && w[i + 1] == (void *)p->mainloop_free && w[i + 3] == (void *)p->mainloop_get_api &&
		    w[i + 4] == (void *)p->mainloop_iterate && w[i + 19] == (void *)p->context_new &&
		    w[i + 20] == (void *)p->context_unref && w[i + 21] == (void *)p->context_connect) {
			if (at != NULL) return 0;
			at = &w[i];
		}
	}
	if (at == NULL) return 0;
	at[1] = (void *)miniav_pa_mainloop_free;
	at[19] = (void *)miniav_pa_context_new;
	at[20] = (void *)miniav_pa_context_unref;
	return 1;
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

	"github.com/gen2brain/malgo"
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
// probe and miniaudio's own connection still costs one such leak (its
// devices' connections are covered by patchPulse). Without
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

// patchPulse makes the devices of c, a miniaudio PulseAudio context, free
// the pa_context of a connection that fails (miniav_pa_patch):
// miniaudio's device initialisation, like its context's, frees only the
// main loop then, and the leaked context keeps a memfd and its 64 MiB
// pool mapped for the life of the process. A context whose layout is not
// the expected one is left as it is; it reports whether c was patched.
func patchPulse(c *malgo.AllocatedContext) bool {
	paLoad.once.Do(func() { paLoad.ok = C.miniav_pa_load() != 0 })
	if !paLoad.ok || !contextLayout {
		return false
	}
	p := *(**unsafe.Pointer)(unsafe.Pointer(&c.Context))
	if p == nil || *p == nil {
		return false
	}
	return C.miniav_pa_patch(*p) != 0
}
