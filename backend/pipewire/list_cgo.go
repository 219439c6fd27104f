//go:build linux && cgo

package pipewire

/*
#cgo pkg-config: libpipewire-0.3
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <pipewire/pipewire.h>
#include <spa/param/video/format-utils.h>
#include <spa/pod/iter.h>

static pthread_once_t mpw_once = PTHREAD_ONCE_INIT;
static void mpw_init_once(void) { pw_init(NULL, NULL); }
void mpw_init(void) { pthread_once(&mpw_once, mpw_init_once); }

static int is_video_source(const char *type, const struct spa_dict *props) {
	if (strcmp(type, PW_TYPE_INTERFACE_Node) != 0 || !props) return 0;
	const char *mc = spa_dict_lookup(props, PW_KEY_MEDIA_CLASS);
	return mc && strcmp(mc, "Video/Source") == 0;
}

// Listing Video/Source nodes: connect, read the registry up to a sync,
// bind every Video/Source node and ask for its EnumFormat params, then
// read up to a second sync (the server answers the params before it).
#define LST_NODES 64

typedef struct mpw_lister_s {
	struct pw_thread_loop *loop;
	struct pw_core *core;
	struct pw_registry *reg;
	struct spa_hook core_l, reg_l;
	int seq, done, failed, phase;
	struct { struct pw_proxy *p; struct spa_hook l; uint32_t id; } nodes[LST_NODES];
	int nnodes;
	char *buf; size_t len, cap;
} mpw_lister;

static void lst_append(mpw_lister *l, const char *s) {
	size_t n = strlen(s);
	if (l->len + n + 1 > l->cap) {
		size_t c = (l->cap ? l->cap * 2 : 1024) + n;
		char *b = realloc(l->buf, c);
		if (!b) return;
		l->buf = b; l->cap = c;
	}
	memcpy(l->buf + l->len, s, n + 1);
	l->len += n;
}

typedef struct { char *p; size_t n, len; } lst_line;

static void ll_printf(lst_line *ln, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ll_printf(lst_line *ln, const char *fmt, ...) {
	if (ln->len >= ln->n) return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(ln->p + ln->len, ln->n - ln->len, fmt, ap);
	va_end(ap);
	if (k > 0) ln->len += (size_t)k;
	if (ln->len >= ln->n) ln->len = ln->n - 1;
}

// lst_values writes a property's values as KIND:V,V,... where KIND is the
// choice (n none, r range, s step, e enum, f flags); for a range, step or
// enum the first value (the default) is left out.
static void lst_values(lst_line *ln, const struct spa_pod *pod, uint32_t prop) {
	const struct spa_pod_prop *p = spa_pod_find_prop(pod, NULL, prop);
	if (!p) return;
	uint32_t nv = 0, choice = 0;
	const struct spa_pod *v = spa_pod_get_values(&p->value, &nv, &choice);
	if (!v || nv == 0) return;
	const char *kinds = "nrsef";
	ll_printf(ln, "%c:", choice <= 4 ? kinds[choice] : '?');
	uint32_t first = choice == SPA_CHOICE_None ? 0 : 1;
	if (nv == 1) first = 0;
	const void *body = SPA_POD_BODY_CONST(v);
	for (uint32_t i = first; i < nv; i++) {
		if (i > first) ll_printf(ln, ",");
		switch (v->type) {
		case SPA_TYPE_Id: ll_printf(ln, "%u", ((const uint32_t *)body)[i]); break;
		case SPA_TYPE_Int: ll_printf(ln, "%d", ((const int32_t *)body)[i]); break;
		case SPA_TYPE_Rectangle: {
			const struct spa_rectangle *r = (const struct spa_rectangle *)body + i;
			ll_printf(ln, "%ux%u", r->width, r->height);
			break;
		}
		case SPA_TYPE_Fraction: {
			const struct spa_fraction *f = (const struct spa_fraction *)body + i;
			ll_printf(ln, "%u/%u", f->num, f->denom);
			break;
		}
		default: ll_printf(ln, "?");
		}
	}
}

// A bound node's listener data.
typedef struct { uint32_t id; struct mpw_lister_s *l; } lst_node;

static void lst_param(void *data, int seq, uint32_t id, uint32_t index, uint32_t next, const struct spa_pod *param) {
	lst_node *node = data;
	mpw_lister *l = (mpw_lister *)node->l;
	uint32_t mt, mst;
	if (id != SPA_PARAM_EnumFormat || !param || spa_format_parse(param, &mt, &mst) < 0 || mt != SPA_MEDIA_TYPE_video) return;
	char line[4096];
	lst_line ln = { line, sizeof line, 0 };
	line[0] = 0;
	ll_printf(&ln, "F\t%u\t%u\t", node->id, mst);
	lst_values(&ln, param, SPA_FORMAT_VIDEO_format);
	ll_printf(&ln, "\t");
	lst_values(&ln, param, SPA_FORMAT_VIDEO_size);
	ll_printf(&ln, "\t");
	lst_values(&ln, param, SPA_FORMAT_VIDEO_framerate);
	ll_printf(&ln, "\n");
	lst_append(l, line);
}

static const struct pw_node_events lst_node_events = { PW_VERSION_NODE_EVENTS, .param = lst_param };

static void lst_global(void *data, uint32_t id, uint32_t perms, const char *type, uint32_t version, const struct spa_dict *props) {
	mpw_lister *l = data;
	if (!is_video_source(type, props)) return;
	const char *name = spa_dict_lookup(props, PW_KEY_NODE_NAME);
	const char *desc = spa_dict_lookup(props, PW_KEY_NODE_DESCRIPTION);
	const char *serial = spa_dict_lookup(props, PW_KEY_OBJECT_SERIAL);
	const char *path = spa_dict_lookup(props, "api.v4l2.path");
	char line[1200];
	snprintf(line, sizeof line, "N\t%u\t%s\t%s\t%s\t%s\n", id, name ? name : "", desc ? desc : "", serial ? serial : "", path ? path : "");
	lst_append(l, line);
	if (l->nnodes >= LST_NODES) return;
	struct pw_proxy *p = pw_registry_bind(l->reg, id, PW_TYPE_INTERFACE_Node, PW_VERSION_NODE, sizeof(lst_node));
	if (!p) return;
	int i = l->nnodes++;
	l->nodes[i].p = p;
	l->nodes[i].id = id;
	lst_node *ud = pw_proxy_get_user_data(p);
	ud->id = id;
	ud->l = l;
	pw_proxy_add_object_listener(p, &l->nodes[i].l, &lst_node_events, ud);
	pw_node_enum_params((struct pw_node *)p, 0, SPA_PARAM_EnumFormat, 0, UINT32_MAX, NULL);
}

static const struct pw_registry_events lst_registry_events = { PW_VERSION_REGISTRY_EVENTS, .global = lst_global };

static void lst_done(void *data, uint32_t id, int seq) {
	mpw_lister *l = data;
	if (id != PW_ID_CORE || seq != l->seq) return;
	if (l->phase == 0 && l->nnodes > 0) {
		// the params were asked for; they come before this sync's answer
		l->phase = 1;
		l->seq = pw_core_sync(l->core, PW_ID_CORE, l->seq);
		return;
	}
	l->done = 1;
	pw_thread_loop_signal(l->loop, false);
}
static void lst_error(void *data, uint32_t id, int seq, int res, const char *message) {
	mpw_lister *l = data;
	if (id == PW_ID_CORE) { l->failed = 1; pw_thread_loop_signal(l->loop, false); }
}
static const struct pw_core_events lst_core_events = { PW_VERSION_CORE_EVENTS, .done = lst_done, .error = lst_error };

// mpw_list returns "N\tid\tname\tdescription\tserial\tv4l2path\n" lines,
// each node's followed by its "F\tid\tsubtype\tformats\tsizes\trates\n"
// EnumFormat lines (malloc'd; NULL and *err set on failure).
static char *mpw_list(const char *remote, int timeout_s, int *err) {
	mpw_init();
	mpw_lister *lp = calloc(1, sizeof *lp);
	if (!lp) { *err = ENOMEM; return NULL; }
	mpw_lister *l = lp;
	*err = 0;
	l->loop = pw_thread_loop_new("miniav-pw-list", NULL);
	if (!l->loop) { *err = errno ? errno : ENOMEM; free(l); return NULL; }
	struct pw_context *ctx = pw_context_new(pw_thread_loop_get_loop(l->loop), NULL, 0);
	if (!ctx) { *err = errno ? errno : ENOMEM; pw_thread_loop_destroy(l->loop); free(l); return NULL; }
	pw_thread_loop_start(l->loop);
	pw_thread_loop_lock(l->loop);
	struct pw_properties *p = NULL;
	if (remote && remote[0]) p = pw_properties_new(PW_KEY_REMOTE_NAME, remote, NULL);
	l->core = pw_context_connect(ctx, p, 0);
	if (!l->core) *err = errno ? errno : ECONNREFUSED;
	else {
		pw_core_add_listener(l->core, &l->core_l, &lst_core_events, l);
		l->reg = pw_core_get_registry(l->core, PW_VERSION_REGISTRY, 0);
		pw_registry_add_listener(l->reg, &l->reg_l, &lst_registry_events, l);
		l->seq = pw_core_sync(l->core, PW_ID_CORE, 0);
		while (!l->done && !l->failed) {
			if (pw_thread_loop_timed_wait(l->loop, timeout_s) != 0) { *err = ETIMEDOUT; break; }
		}
		if (l->failed) *err = EPIPE;
		for (int i = 0; i < l->nnodes; i++) {
			spa_hook_remove(&l->nodes[i].l);
			pw_proxy_destroy(l->nodes[i].p);
		}
		spa_hook_remove(&l->reg_l);
		pw_proxy_destroy((struct pw_proxy *)l->reg);
		spa_hook_remove(&l->core_l);
		pw_core_disconnect(l->core);
	}
	pw_thread_loop_unlock(l->loop);
	pw_thread_loop_stop(l->loop);
	pw_context_destroy(ctx);
	pw_thread_loop_destroy(l->loop);
	char *buf = l->buf;
	free(l);
	if (*err) { free(buf); return NULL; }
	if (!buf) return calloc(1, 1);
	return buf;
}

// Watching: a connection of its own whose registry events about
// Video/Source nodes (a node added, a known one removed) write an eventfd.
// dead is set when the connection fails.
#define WATCH_NODES 256
typedef struct {
	struct pw_thread_loop *loop;
	struct pw_context *ctx;
	struct pw_core *core;
	struct pw_registry *reg;
	struct spa_hook core_l, reg_l;
	int efd, dead;
	uint32_t ids[WATCH_NODES];
	int nids;
} mpw_watch;

static void w_wake(mpw_watch *w) {
	uint64_t one = 1;
	while (write(w->efd, &one, sizeof one) < 0 && errno == EINTR) {}
}

static void w_global(void *data, uint32_t id, uint32_t perms, const char *type, uint32_t version, const struct spa_dict *props) {
	mpw_watch *w = data;
	if (!is_video_source(type, props)) return;
	if (w->nids < WATCH_NODES) w->ids[w->nids++] = id;
	w_wake(w);
}

static void w_global_remove(void *data, uint32_t id) {
	mpw_watch *w = data;
	for (int i = 0; i < w->nids; i++) {
		if (w->ids[i] == id) {
			w->ids[i] = w->ids[--w->nids];
			w_wake(w);
			return;
		}
	}
}

static const struct pw_registry_events w_registry_events = {
	PW_VERSION_REGISTRY_EVENTS, .global = w_global, .global_remove = w_global_remove,
};

static void w_error(void *data, uint32_t id, int seq, int res, const char *message) {
	mpw_watch *w = data;
	if (id == PW_ID_CORE) { w->dead = 1; w_wake(w); }
}
static const struct pw_core_events w_core_events = { PW_VERSION_CORE_EVENTS, .error = w_error };

static void mpw_unwatch(mpw_watch *w);

static mpw_watch *mpw_watch_new(const char *remote, int *err) {
	mpw_init();
	mpw_watch *w = calloc(1, sizeof *w);
	if (!w) { *err = ENOMEM; return NULL; }
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->loop = pw_thread_loop_new("miniav-pw-watch", NULL);
	if (w->efd < 0 || !w->loop) goto fail;
	w->ctx = pw_context_new(pw_thread_loop_get_loop(w->loop), NULL, 0);
	if (!w->ctx || pw_thread_loop_start(w->loop) < 0) goto fail;
	pw_thread_loop_lock(w->loop);
	struct pw_properties *p = NULL;
	if (remote && remote[0]) p = pw_properties_new(PW_KEY_REMOTE_NAME, remote, NULL);
	w->core = pw_context_connect(w->ctx, p, 0);
	if (!w->core) { pw_thread_loop_unlock(w->loop); goto fail; }
	pw_core_add_listener(w->core, &w->core_l, &w_core_events, w);
	w->reg = pw_core_get_registry(w->core, PW_VERSION_REGISTRY, 0);
	pw_registry_add_listener(w->reg, &w->reg_l, &w_registry_events, w);
	pw_thread_loop_unlock(w->loop);
	return w;
fail:
	*err = errno ? errno : ECONNREFUSED;
	mpw_unwatch(w);
	return NULL;
}

static int mpw_watch_efd(mpw_watch *w) { return w->efd; }

static int mpw_watch_dead(mpw_watch *w) {
	pw_thread_loop_lock(w->loop);
	int d = w->dead;
	pw_thread_loop_unlock(w->loop);
	return d;
}

// mpw_unwatch tears the watch down and closes its eventfd.
static void mpw_unwatch(mpw_watch *w) {
	if (w->loop) {
		pw_thread_loop_lock(w->loop);
		if (w->reg) { spa_hook_remove(&w->reg_l); pw_proxy_destroy((struct pw_proxy *)w->reg); }
		if (w->core) { spa_hook_remove(&w->core_l); pw_core_disconnect(w->core); }
		pw_thread_loop_unlock(w->loop);
		pw_thread_loop_stop(w->loop);
	}
	if (w->ctx) pw_context_destroy(w->ctx);
	if (w->loop) pw_thread_loop_destroy(w->loop);
	if (w->efd >= 0) close(w->efd);
	free(w);
}
*/
import "C"

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"github.com/miniav-go/miniav/backend"
)

// listCameras lists the Video/Source nodes on remote (the default socket
// when empty), with their EnumFormat params.
func listCameras(remote string) ([]cameraNode, error) {
	cremote := C.CString(remote)
	defer C.free(unsafe.Pointer(cremote))
	var cerr C.int
	out := C.mpw_list(cremote, 5, &cerr)
	if out == nil {
		return nil, fmt.Errorf("pipewire: list nodes: %v: %w", syscall.Errno(cerr), backend.ErrNotFound)
	}
	text := C.GoString(out)
	C.free(unsafe.Pointer(out))
	return parseCameras(text, spaPixelFormat), nil
}

// watchCameras is Changes on remote.
func watchCameras(ctx context.Context, remote string) (<-chan struct{}, error) {
	cremote := C.CString(remote)
	defer C.free(unsafe.Pointer(cremote))
	var cerr C.int
	w := C.mpw_watch_new(cremote, &cerr)
	if w == nil {
		return nil, fmt.Errorf("pipewire: watch the registry: %v: %w", syscall.Errno(cerr), backend.ErrNotFound)
	}
	// The eventfd stays C's (mpw_unwatch closes it); Go reads a dup.
	fd, err := syscall.Dup(int(C.mpw_watch_efd(w)))
	if err != nil {
		C.mpw_unwatch(w)
		return nil, fmt.Errorf("pipewire: watch the registry: dup: %w", err)
	}
	syscall.CloseOnExec(fd)
	f := os.NewFile(uintptr(fd), "miniav-pipewire-watch")
	ch := make(chan struct{}, 1)
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Now()) })
	go func() {
		defer close(ch)
		defer C.mpw_unwatch(w)
		defer f.Close()
		defer stop()
		var b [8]byte
		for {
			if _, err := f.Read(b[:]); err != nil {
				return // ctx done
			}
			if C.mpw_watch_dead(w) != 0 {
				return // PipeWire went away
			}
			select {
			case ch <- struct{}{}:
			default: // one is pending
			}
		}
	}()
	return ch, nil
}
