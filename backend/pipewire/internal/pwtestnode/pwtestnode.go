//go:build linux && cgo

// Package pwtestnode publishes, for the pipewire backend's tests, a
// PipeWire Video/Source node of its own: a pw_stream (output, driver) on a
// thread loop that paints a known pattern carrying the frame number into
// buffers it allocates itself (memfds, offered as MemFd or, for the
// DMA-BUF path, as SPA_DATA_DmaBuf: PipeWire passes the fd through, so a
// consumer sees a DmaBuf buffer; it is a memfd, not a GPU's dma-buf).
// SPA_META_Header carries the frame number as seq.
//
// The package is test-only support, not API: it is internal and nothing
// outside the backend's tests imports it.
package pwtestnode

/*
#cgo pkg-config: libpipewire-0.3
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <pipewire/pipewire.h>
#include <spa/param/video/format-utils.h>
#include <spa/buffer/meta.h>

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1U
#endif
int memfd_create(const char *name, unsigned int flags);

typedef struct {
	struct pw_thread_loop *loop;
	struct pw_context *ctx;
	struct pw_core *core;
	struct pw_stream *stream;
	struct spa_hook stream_l, core_l;
	struct spa_source *timer;
	uint32_t vfmt, width, height, fps;
	int dmabuf, damage, cursor;
	uint64_t modifier;
	int state; // pw_stream_state
	int negotiated, failed;
	uint64_t frame;   // frames produced
	uint32_t nbufs;   // buffers allocated
	char err[256];
} tn_node;

static pthread_once_t tn_once = PTHREAD_ONCE_INIT;
static void tn_init_once(void) { pw_init(NULL, NULL); }
static void tn_init(void) { pthread_once(&tn_once, tn_init_once); }

static uint32_t tn_frame_size(tn_node *n, uint32_t *stride) {
	if (n->vfmt == SPA_VIDEO_FORMAT_YUY2) { *stride = n->width * 2; return *stride * n->height; }
	*stride = n->width; // NV12
	return n->width * n->height + n->width * (n->height / 2);
}

// tn_y, tn_u, tn_v: the pattern of frame f (the first four luma bytes of
// row 0 hold f instead, little-endian). cy is the chroma row (NV12: y/2).
static inline uint8_t tn_y(uint64_t f, uint32_t x, uint32_t y) { return (uint8_t)(x + 3 * y + f); }
static inline uint8_t tn_u(uint64_t f, uint32_t cx, uint32_t cy) { return (uint8_t)(2 * cx + cy + 7 * f + 64); }
static inline uint8_t tn_v(uint64_t f, uint32_t cx, uint32_t cy) { return (uint8_t)(cx + 5 * cy + 11 * f + 128); }

// Damage of frame f: tn_ndamage(f) (1..20) rectangles of 8x8, the j-th at
// (f%8 + 16j, 2 + 10(j%4)); the meta has room for TN_DAMAGE_SLOTS.
#define TN_DAMAGE_SLOTS 24
static inline uint32_t tn_ndamage(uint64_t f) { return 1 + (uint32_t)(f % 20); }
static inline void tn_damage(uint64_t f, uint32_t j, int32_t *x, int32_t *y, uint32_t *w, uint32_t *h) {
	*x = (int32_t)(f % 8) + 16 * (int32_t)j; *y = 2 + 10 * (int32_t)(j % 4); *w = 8; *h = 8;
}
// Cursor position of frame f.
static inline void tn_cursor(uint64_t f, int32_t *x, int32_t *y) {
	*x = (int32_t)((3 * f) % 300); *y = 5 + (int32_t)(f % 7);
}

static void tn_paint(tn_node *n, uint8_t *p, uint64_t f) {
	uint32_t w = n->width, h = n->height;
	if (n->vfmt == SPA_VIDEO_FORMAT_YUY2) {
		for (uint32_t y = 0; y < h; y++) {
			uint8_t *r = p + (size_t)y * w * 2;
			for (uint32_t x = 0; x < w; x += 2) {
				r[2 * x] = tn_y(f, x, y); r[2 * x + 1] = tn_u(f, x / 2, y);
				r[2 * x + 2] = tn_y(f, x + 1, y); r[2 * x + 3] = tn_v(f, x / 2, y);
			}
		}
		for (int i = 0; i < 4; i++) p[2 * i] = (uint8_t)(f >> (8 * i));
	} else {
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++) p[(size_t)y * w + x] = tn_y(f, x, y);
		uint8_t *uv = p + (size_t)w * h;
		for (uint32_t cy = 0; cy < h / 2; cy++)
			for (uint32_t cx = 0; cx < w / 2; cx++) {
				uv[(size_t)cy * w + 2 * cx] = tn_u(f, cx, cy);
				uv[(size_t)cy * w + 2 * cx + 1] = tn_v(f, cx, cy);
			}
		for (int i = 0; i < 4; i++) p[i] = (uint8_t)(f >> (8 * i));
	}
}

static void tn_on_state(void *data, enum pw_stream_state old, enum pw_stream_state st, const char *err) {
	tn_node *n = data;
	n->state = st;
	if (st == PW_STREAM_STATE_ERROR) { n->failed = 1; snprintf(n->err, sizeof n->err, "%s", err ? err : ""); }
	if (n->timer) {
		struct timespec v = { 0, 1000000000 / n->fps }, z = { 0, 0 };
		if (st == PW_STREAM_STATE_STREAMING)
			pw_loop_update_timer(pw_thread_loop_get_loop(n->loop), n->timer, &v, &v, false);
		else
			pw_loop_update_timer(pw_thread_loop_get_loop(n->loop), n->timer, &z, &z, false);
	}
	pw_thread_loop_signal(n->loop, false);
}

static void tn_on_param_changed(void *data, uint32_t id, const struct spa_pod *param) {
	tn_node *n = data;
	if (!param || id != SPA_PARAM_Format) return;
	uint32_t stride, size = tn_frame_size(n, &stride);
	uint8_t buffer[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
	const struct spa_pod *params[4];
	int np = 0;
	params[np++] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers,
		SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int(4, 2, 16),
		SPA_PARAM_BUFFERS_blocks, SPA_POD_Int(1),
		SPA_PARAM_BUFFERS_size, SPA_POD_Int(size),
		SPA_PARAM_BUFFERS_stride, SPA_POD_Int(stride),
		SPA_PARAM_BUFFERS_dataType, SPA_POD_CHOICE_FLAGS_Int(1 << (n->dmabuf ? SPA_DATA_DmaBuf : SPA_DATA_MemFd)));
	params[np++] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
		SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_header)));
	if (n->damage)
		params[np++] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
			SPA_PARAM_META_type, SPA_POD_Id(SPA_META_VideoDamage),
			SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_region) * TN_DAMAGE_SLOTS));
	if (n->cursor)
		params[np++] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
			SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Cursor),
			SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_cursor)));
	pw_stream_update_params(n->stream, params, np);
	n->negotiated = 1;
	pw_thread_loop_signal(n->loop, false);
}

static void tn_on_add_buffer(void *data, struct pw_buffer *pb) {
	tn_node *n = data;
	struct spa_data *d = &pb->buffer->datas[0];
	uint32_t stride, size = tn_frame_size(n, &stride);
	int fd = memfd_create("miniav-testnode", MFD_CLOEXEC);
	if (fd < 0) return;
	if (ftruncate(fd, size) < 0) { close(fd); return; }
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) { close(fd); return; }
	d->type = n->dmabuf ? SPA_DATA_DmaBuf : SPA_DATA_MemFd;
	d->flags = SPA_DATA_FLAG_READWRITE;
	d->fd = fd;
	d->mapoffset = 0;
	d->maxsize = size;
	d->data = m;
	n->nbufs++;
}

static void tn_on_remove_buffer(void *data, struct pw_buffer *pb) {
	struct spa_data *d = &pb->buffer->datas[0];
	if (d->data) munmap(d->data, d->maxsize);
	if (d->fd >= 0) close((int)d->fd);
	d->data = NULL; d->fd = -1;
}

static void tn_on_process(void *data) {
	tn_node *n = data;
	struct pw_buffer *pb = pw_stream_dequeue_buffer(n->stream);
	if (!pb) { n->frame++; return; } // every buffer held: the frame is skipped
	struct spa_buffer *buf = pb->buffer;
	struct spa_data *d = &buf->datas[0];
	if (!d->data) { pw_stream_queue_buffer(n->stream, pb); return; }
	uint64_t f = ++n->frame;
	uint32_t stride, size = tn_frame_size(n, &stride);
	tn_paint(n, d->data, f);
	d->chunk->offset = 0;
	d->chunk->size = size;
	d->chunk->stride = (int32_t)stride;
	d->chunk->flags = 0;
	struct spa_meta_header *h = spa_buffer_find_meta_data(buf, SPA_META_Header, sizeof(*h));
	if (h) {
		struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
		h->pts = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		h->flags = 0; h->seq = f; h->dts_offset = 0;
	}
	struct spa_meta *dm = spa_buffer_find_meta(buf, SPA_META_VideoDamage);
	if (dm && dm->size >= TN_DAMAGE_SLOTS * sizeof(struct spa_meta_region)) {
		// tn_ndamage(f) rectangles (tn_damage), then the end
		struct spa_meta_region *r = dm->data;
		uint32_t k = tn_ndamage(f);
		for (uint32_t j = 0; j < k; j++) {
			int32_t x, y; uint32_t w, h;
			tn_damage(f, j, &x, &y, &w, &h);
			r[j].region = SPA_REGION(x, y, w, h);
		}
		if (k < TN_DAMAGE_SLOTS) r[k].region = SPA_REGION(0, 0, 0, 0);
	}
	struct spa_meta_cursor *cm = spa_buffer_find_meta_data(buf, SPA_META_Cursor, sizeof(*cm));
	if (cm) {
		// every fourth frame no cursor (id 0), else at tn_cursor
		cm->id = f % 4 == 0 ? 0 : 1;
		cm->flags = 0;
		tn_cursor(f, &cm->position.x, &cm->position.y);
		cm->hotspot.x = cm->hotspot.y = 0;
		cm->bitmap_offset = 0;
	}
	pw_stream_queue_buffer(n->stream, pb);
}

static const struct pw_stream_events tn_stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = tn_on_state,
	.param_changed = tn_on_param_changed,
	.add_buffer = tn_on_add_buffer,
	.remove_buffer = tn_on_remove_buffer,
	.process = tn_on_process,
};

static void tn_on_timeout(void *data, uint64_t expirations) {
	tn_node *n = data;
	if (n->state == PW_STREAM_STATE_STREAMING) pw_stream_trigger_process(n->stream);
}

static void tn_destroy(tn_node *n);

static tn_node *tn_new(const char *remote, const char *name, const char *desc, uint32_t vfmt,
		uint32_t w, uint32_t h, uint32_t fps, int dmabuf, int damage, int cursor, char *err, size_t errlen) {
	tn_init();
	tn_node *n = calloc(1, sizeof *n);
	if (!n) return NULL;
	n->vfmt = vfmt; n->width = w; n->height = h; n->fps = fps ? fps : 30;
	n->dmabuf = dmabuf; n->damage = damage; n->cursor = cursor;
	n->loop = pw_thread_loop_new("miniav-testnode", NULL);
	if (!n->loop) goto fail;
	n->ctx = pw_context_new(pw_thread_loop_get_loop(n->loop), NULL, 0);
	if (!n->ctx || pw_thread_loop_start(n->loop) < 0) goto fail;
	pw_thread_loop_lock(n->loop);
	struct pw_properties *cp = NULL;
	if (remote && remote[0]) cp = pw_properties_new(PW_KEY_REMOTE_NAME, remote, NULL);
	n->core = pw_context_connect(n->ctx, cp, 0);
	if (!n->core) { pw_thread_loop_unlock(n->loop); snprintf(err, errlen, "connect: %s", strerror(errno)); goto fail_msg; }
	n->timer = pw_loop_add_timer(pw_thread_loop_get_loop(n->loop), tn_on_timeout, n);
	struct pw_properties *props = pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY, "Source",
		PW_KEY_MEDIA_CLASS, "Video/Source", PW_KEY_MEDIA_ROLE, "Camera", PW_KEY_NODE_NAME, name, PW_KEY_NODE_DESCRIPTION, desc, NULL);
	n->stream = pw_stream_new(n->core, name, props);
	if (!n->stream) { pw_thread_loop_unlock(n->loop); snprintf(err, errlen, "pw_stream_new: %s", strerror(errno)); goto fail_msg; }
	pw_stream_add_listener(n->stream, &n->stream_l, &tn_stream_events, n);
	uint8_t buffer[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
	struct spa_rectangle size = SPA_RECTANGLE(w, h);
	struct spa_fraction rate = SPA_FRACTION(n->fps, 1);
	const struct spa_pod *params[1];
	if (dmabuf) {
		params[0] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat,
			SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
			SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
			SPA_FORMAT_VIDEO_format, SPA_POD_Id(vfmt),
			SPA_FORMAT_VIDEO_modifier, SPA_POD_Long(0), // DRM_FORMAT_MOD_LINEAR
			SPA_FORMAT_VIDEO_size, SPA_POD_Rectangle(&size),
			SPA_FORMAT_VIDEO_framerate, SPA_POD_Fraction(&rate));
	} else {
		params[0] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat,
			SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
			SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
			SPA_FORMAT_VIDEO_format, SPA_POD_Id(vfmt),
			SPA_FORMAT_VIDEO_size, SPA_POD_Rectangle(&size),
			SPA_FORMAT_VIDEO_framerate, SPA_POD_Fraction(&rate));
	}
	int r = pw_stream_connect(n->stream, PW_DIRECTION_OUTPUT, PW_ID_ANY,
		PW_STREAM_FLAG_DRIVER | PW_STREAM_FLAG_ALLOC_BUFFERS, params, 1);
	if (r < 0) { pw_thread_loop_unlock(n->loop); snprintf(err, errlen, "pw_stream_connect: %s", strerror(-r)); goto fail_msg; }
	// wait until the node is in the registry (paused, with an id)
	while (n->state != PW_STREAM_STATE_PAUSED && n->state != PW_STREAM_STATE_STREAMING && !n->failed) {
		if (pw_thread_loop_timed_wait(n->loop, 5) != 0) { n->failed = 1; snprintf(n->err, sizeof n->err, "not paused within 5 s"); }
	}
	pw_thread_loop_unlock(n->loop);
	if (n->failed) { snprintf(err, errlen, "%s", n->err); goto fail_msg; }
	return n;
fail:
	snprintf(err, errlen, "set-up: %s", strerror(errno));
fail_msg:
	tn_destroy(n);
	return NULL;
}

static uint32_t tn_node_id(tn_node *n) {
	pw_thread_loop_lock(n->loop);
	uint32_t id = pw_stream_get_node_id(n->stream);
	pw_thread_loop_unlock(n->loop);
	return id;
}

static uint64_t tn_frames(tn_node *n) {
	pw_thread_loop_lock(n->loop);
	uint64_t f = n->frame;
	pw_thread_loop_unlock(n->loop);
	return f;
}

static void tn_destroy(tn_node *n) {
	if (n->loop) {
		pw_thread_loop_lock(n->loop);
		if (n->stream) { pw_stream_destroy(n->stream); n->stream = NULL; }
		if (n->timer) { pw_loop_destroy_source(pw_thread_loop_get_loop(n->loop), n->timer); n->timer = NULL; }
		if (n->core) { pw_core_disconnect(n->core); n->core = NULL; }
		pw_thread_loop_unlock(n->loop);
		pw_thread_loop_stop(n->loop);
	}
	if (n->ctx) pw_context_destroy(n->ctx);
	if (n->loop) pw_thread_loop_destroy(n->loop);
	free(n);
}

*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"unsafe"
)

// Formats the node can publish.
const (
	YUY2 = "YUY2"
	NV12 = "NV12"
)

// Options describe a node.
type Options struct {
	Name, Description string
	Format            string // YUY2 or NV12
	Width, Height     int    // even
	FPS               int
	// DMABuf offers the memfd-backed buffers as SPA_DATA_DmaBuf, with a
	// linear DRM format modifier in the format.
	DMABuf bool
	// Damage offers SPA_META_VideoDamage (room for 24 regions) and
	// writes Damage(frame) into it.
	Damage bool
	// Cursor offers SPA_META_Cursor: no cursor (id 0) on every fourth
	// frame, else one at CursorAt(frame).
	Cursor bool
	Remote string // PipeWire socket; "" the default
}

// Node is a published Video/Source node.
type Node struct {
	mu sync.Mutex
	c  *C.tn_node
}

// Start publishes a node and returns once it is in the registry.
func Start(o Options) (*Node, error) {
	var vf C.uint32_t
	switch o.Format {
	case YUY2:
		vf = C.SPA_VIDEO_FORMAT_YUY2
	case NV12:
		vf = C.SPA_VIDEO_FORMAT_NV12
	default:
		return nil, fmt.Errorf("pwtestnode: format %q: want YUY2 or NV12", o.Format)
	}
	if o.Width <= 0 || o.Height <= 0 || o.Width%2 != 0 || o.Height%2 != 0 {
		return nil, errors.New("pwtestnode: width and height must be even and positive")
	}
	if o.Description == "" {
		o.Description = o.Name
	}
	cr, cn, cd := C.CString(o.Remote), C.CString(o.Name), C.CString(o.Description)
	defer C.free(unsafe.Pointer(cr))
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cd))
	var errbuf [256]C.char
	c := C.tn_new(cr, cn, cd, vf, C.uint32_t(o.Width), C.uint32_t(o.Height), C.uint32_t(o.FPS),
		cbool(o.DMABuf), cbool(o.Damage), cbool(o.Cursor), &errbuf[0], C.size_t(len(errbuf)))
	if c == nil {
		return nil, fmt.Errorf("pwtestnode: %s", C.GoString(&errbuf[0]))
	}
	return &Node{c: c}, nil
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// ID is the node's id in the registry.
func (n *Node) ID() uint32 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.c == nil {
		return 0
	}
	return uint32(C.tn_node_id(n.c))
}

// Frames is how many frames the node produced (skipped ones included).
func (n *Node) Frames() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.c == nil {
		return 0
	}
	return uint64(C.tn_frames(n.c))
}

// Close removes the node from the registry.
func (n *Node) Close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.c != nil {
		C.tn_destroy(n.c)
		n.c = nil
	}
}

// Y, U and V are the pattern's values in frame f at luma (x, y) and
// chroma sample (cx, cy) (YUY2: cy is the row; NV12: row/2). The first
// four luma bytes of row 0 hold f, little-endian, instead.
// (They are tn_y, tn_u and tn_v of the C side.)
func Y(f uint64, x, y int) byte   { return byte(uint64(x) + 3*uint64(y) + f) }
func U(f uint64, cx, cy int) byte { return byte(2*uint64(cx) + uint64(cy) + 7*f + 64) }
func V(f uint64, cx, cy int) byte { return byte(uint64(cx) + 5*uint64(cy) + 11*f + 128) }

// FrameNumber reads the frame number a frame carries (its first luma
// bytes; for YUY2 every other byte).
func FrameNumber(format string, plane0 []byte) uint64 {
	var f uint64
	for i := range 4 {
		j := i
		if format == YUY2 {
			j = 2 * i
		}
		f |= uint64(plane0[j]) << (8 * i)
	}
	return f
}

// Damage is the list of rectangles the node writes into frame f's
// SPA_META_VideoDamage: 1 + f%20 of 8x8, the j-th at (f%8 + 16j,
// 2 + 10(j%4)). (tn_ndamage and tn_damage of the C side.)
func Damage(f uint64) []image.Rectangle {
	k := 1 + int(f%20)
	r := make([]image.Rectangle, k)
	for j := range k {
		x, y := int(f%8)+16*j, 2+10*(j%4)
		r[j] = image.Rect(x, y, x+8, y+8)
	}
	return r
}

// CursorAt is the cursor position the node writes for frame f, and
// whether frame f has one (tn_cursor of the C side; the zero point when
// it has none).
func CursorAt(f uint64) (image.Point, bool) {
	if f%4 == 0 {
		return image.Point{}, false
	}
	return image.Pt(int((3*f)%300), 5+int(f%7)), true
}
