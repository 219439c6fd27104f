// xdpw-shm-shim.c — LD_PRELOAD shim for xdg-desktop-portal-wlr 0.7.x on a
// GPU-less (pixman, shm-only) wlroots compositor.
//
// xdpw 0.7.0/0.7.1 refuse to start a cast unless zwlr_screencopy_frame_v1 sends
// a linux_dmabuf event: start_screencast() checks the *portal* interface version
// (always 4) instead of the screencopy version, so a compositor whose output
// buffers are not DMA-BUFs (wlroots headless + WLR_RENDERER=pixman) always fails
// with "unable to receive a valid format from wlr_screencopy".
// This shim wraps the frame listener and, when buffer_done arrives without a
// linux_dmabuf event, first reports the shm format as a dmabuf fourcc. With no
// zwp_linux_dmabuf_v1 global xdpw finds no modifiers, so it still offers only
// SHM (MemFd) buffers to PipeWire: the fake event only gets past the check.
//
// build: cc -shared -fPIC -O2 -o xdpw-shm-shim.so xdpw-shm-shim.c -ldl
// use:   LD_PRELOAD=$PWD/xdpw-shm-shim.so /usr/libexec/xdg-desktop-portal-wlr
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

struct wl_proxy;
const char *wl_proxy_get_class(struct wl_proxy *proxy);

// zwlr_screencopy_frame_v1 event order (protocol version 3)
struct frame_listener {
	void (*buffer)(void *, struct wl_proxy *, uint32_t fmt, uint32_t w, uint32_t h, uint32_t stride);
	void (*flags)(void *, struct wl_proxy *, uint32_t);
	void (*ready)(void *, struct wl_proxy *, uint32_t, uint32_t, uint32_t);
	void (*failed)(void *, struct wl_proxy *);
	void (*damage)(void *, struct wl_proxy *, uint32_t, uint32_t, uint32_t, uint32_t);
	void (*linux_dmabuf)(void *, struct wl_proxy *, uint32_t fourcc, uint32_t w, uint32_t h);
	void (*buffer_done)(void *, struct wl_proxy *);
};

#define SLOTS 64
static struct slot {
	struct wl_proxy *frame;
	const struct frame_listener *orig;
	uint32_t fmt, w, h;
	int got_buffer, got_dmabuf;
} slots[SLOTS];

static struct slot *find(struct wl_proxy *f) {
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].frame == f) return &slots[i];
	return NULL;
}

static uint32_t shm_to_fourcc(uint32_t f) {
	if (f == 0) return 0x34325241; // WL_SHM_FORMAT_ARGB8888 -> DRM 'AR24'
	if (f == 1) return 0x34325258; // WL_SHM_FORMAT_XRGB8888 -> DRM 'XR24'
	return f;                      // other wl_shm codes are DRM fourccs already
}

static void w_buffer(void *d, struct wl_proxy *f, uint32_t fmt, uint32_t w, uint32_t h, uint32_t s) {
	struct slot *sl = find(f);
	sl->fmt = fmt; sl->w = w; sl->h = h; sl->got_buffer = 1; sl->got_dmabuf = 0;
	sl->orig->buffer(d, f, fmt, w, h, s);
}
static void w_flags(void *d, struct wl_proxy *f, uint32_t x) { find(f)->orig->flags(d, f, x); }
static void w_ready(void *d, struct wl_proxy *f, uint32_t a, uint32_t b, uint32_t c) {
	const struct frame_listener *o = find(f)->orig; o->ready(d, f, a, b, c);
}
static void w_failed(void *d, struct wl_proxy *f) { find(f)->orig->failed(d, f); }
static void w_damage(void *d, struct wl_proxy *f, uint32_t x, uint32_t y, uint32_t w, uint32_t h) {
	find(f)->orig->damage(d, f, x, y, w, h);
}
static void w_linux_dmabuf(void *d, struct wl_proxy *f, uint32_t fc, uint32_t w, uint32_t h) {
	find(f)->got_dmabuf = 1;
	find(f)->orig->linux_dmabuf(d, f, fc, w, h);
}
static void w_buffer_done(void *d, struct wl_proxy *f) {
	struct slot *sl = find(f);
	if (sl->got_buffer && !sl->got_dmabuf && sl->orig->linux_dmabuf)
		sl->orig->linux_dmabuf(d, f, shm_to_fourcc(sl->fmt), sl->w, sl->h);
	sl->orig->buffer_done(d, f);
}
static const struct frame_listener wrapped = {
	w_buffer, w_flags, w_ready, w_failed, w_damage, w_linux_dmabuf, w_buffer_done,
};

int wl_proxy_add_listener(struct wl_proxy *proxy, void (**impl)(void), void *data) {
	static int (*real)(struct wl_proxy *, void (**)(void), void *);
	if (!real) real = dlsym(RTLD_NEXT, "wl_proxy_add_listener");
	if (strcmp(wl_proxy_get_class(proxy), "zwlr_screencopy_frame_v1") == 0) {
		struct slot *sl = find(proxy);      // reuse a slot of a destroyed proxy address
		if (!sl) sl = find(NULL);
		static unsigned next;
		if (!sl) sl = &slots[next++ % SLOTS]; // full: recycle oldest (xdpw keeps 1 frame per cast)
		memset(sl, 0, sizeof *sl);
		sl->frame = proxy;
		sl->orig = (const struct frame_listener *)impl;
		return real(proxy, (void (**)(void))&wrapped, data);
	}
	return real(proxy, impl, data);
}
