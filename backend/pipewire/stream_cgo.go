//go:build linux && cgo

package pipewire

/*
#cgo pkg-config: libpipewire-0.3
#define _GNU_SOURCE // mremap
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <pipewire/pipewire.h>
#include <spa/param/video/format-utils.h>
#include <spa/buffer/meta.h>

#define MPW_RING 64
#define MPW_REL 128 // slots Go gave back, not yet handed to the stream
#define MPW_DAMAGE 16 // backend.MaxDamage
// a cursor meta with a w x h RGBA bitmap
#define MPW_CURSOR_META_SIZE(w, h) (sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + (w) * (h) * 4)
#define MPW_DAMAGE_OFFER 64 // regions a producer may send; more than MPW_DAMAGE are united

// A slot is one PipeWire buffer as this package sees it. Every field is
// read and written with the thread loop's lock held (PipeWire's thread
// holds it while it calls back), or, once the loop is gone, only from Go
// under the source's mutex.
typedef struct {
	struct pw_buffer *pwb;   // NULL once PipeWire removed the buffer
	void *map; size_t maplen; // our own mapping of a MemFd or DmaBuf buffer
	int dmafd;               // a DmaBuf buffer's fd (our dup), else -1
	uint32_t mapoffset;      // where the data starts in the fd
	void *copy; size_t copylen; // our copy of a MemPtr buffer's bytes
	uint8_t *base;           // start of the bytes lent: map+mapoffset or copy
	int lent;                // dequeued and handed to Go (or waiting in the ring)
	int given;               // handed to Go (mpw_pop), not yet released
	uint32_t offset, size, flags;
	int32_t stride;
	uint64_t seq;
	int64_t ts, pts;
	int copied;
	int32_t dmg[MPW_DAMAGE][4]; // damaged rectangles: x, y, width, height
	int ndmg;                // of them in dmg; -1: the buffer carries no damage
	int cursor;              // a visible cursor at cx, cy
	int32_t cx, cy;
	int detached;            // a copy slot of its own, tied to no PipeWire buffer
	void *next_free;         // free list of detached slots
	void *all_next, *all_prev; // PipeWire buffers' slots, while PipeWire has the buffer
} mpw_slot;

// MPW_GRACE_MS is how long a node on a portal's remote may take to show.
#define MPW_GRACE_MS 2000

typedef struct {
	struct pw_thread_loop *loop;
	struct pw_context *ctx;
	struct pw_core *core;
	struct pw_registry *reg;
	struct pw_stream *stream;
	struct spa_hook core_l, reg_l, stream_l;
	uint32_t target;        // node id, PW_ID_ANY until known (by name)
	char target_name[256];  // node.name or object.serial to connect to, or ""
	int target_seen;
	int sync_seq, synced;
	struct spa_source *grace; // on a portal's remote: how long the node may take to become visible
	int efd;
	// negotiated format
	int have_format;
	int has_mod;            // the format carries a DRM modifier
	uint64_t modifier;
	uint32_t vfmt, width, height, fr_num, fr_den, mt, mst;
	int want_buffers;
	// end of stream: 1 node removed, 2 core error, 3 stream error, 4 no such node
	int lost;
	char err[256];
	// Frames ready for Go: a single-producer single-consumer ring. The
	// thread loop writes ring[tail] and then tail (release); Go reads tail
	// (acquire), takes ring[head] and stores head, with no cgo call and
	// so no wake of Go's sysmon thread per frame (see Read).
	mpw_slot *ring[MPW_RING];
	uint32_t head, tail;
	// Slots Go released: Go writes rel[rel_tail] and rel_tail, the thread
	// loop hands them back to the stream (mpw_drain) on its next process
	// callback, or at once when Go writes rfd (PipeWire's buffers running
	// low on the producer's side).
	mpw_slot *rel[MPW_REL];
	uint32_t rel_head, rel_tail;
	int rfd;
	struct spa_source *rel_src;
	int32_t npw;            // PipeWire buffers (slots with pwb)
	uint64_t rel_wakes;     // times Go woke the loop through rfd (tests)
	// gen counts changes of everything mpw_status reports but the ring:
	// Go reads it (atomically) and calls mpw_pop only when it moved.
	uint32_t gen;
	// on_process runs on the context's data loop (PW_STREAM_FLAG_RT_PROCESS):
	// one thread wake per frame fewer than on the thread loop. Everything
	// that hands buffers back to the stream runs there too (queue_buffer's
	// queue has one writer): on_process, and do_drain, do_release and
	// do_final, which the thread loop invokes there and waits for.
	struct pw_loop *dloop;
	int dead;               // set by do_final: give every buffer straight back
	uint64_t seq, last_hdr_seq;
	int64_t last_pts;
	uint64_t corrupt;       // buffers skipped (size 0, corrupted), not yet reported
	int nslots;             // slots allocated and not yet freed
	int ncopies;            // detached copy slots allocated
	mpw_slot *free_copies;  // detached copy slots not lent
	uint64_t exhausted;     // frames dropped: every copy slot lent
	int streaming;
	mpw_slot *all;          // slots of PipeWire's buffers (pwb set)
} mpw_src;

static int64_t mpw_now(void) {
	struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void mpw_wake(mpw_src *s) {
	uint64_t one = 1;
	while (write(s->efd, &one, sizeof one) < 0 && errno == EINTR) {}
}

// mpw_changed marks a change of the status Go reads through mpw_pop.
static void mpw_changed(mpw_src *s) { __atomic_add_fetch(&s->gen, 1, __ATOMIC_RELEASE); }

static void mpw_fail(mpw_src *s, int why, const char *msg) {
	if (s->lost == 0) {
		s->lost = why;
		snprintf(s->err, sizeof s->err, "%s", msg ? msg : "");
		mpw_changed(s);
	}
	mpw_wake(s);
}

static void mpw_slot_free(mpw_src *s, mpw_slot *sl) {
	if (sl->map) munmap(sl->map, sl->maplen);
	if (sl->dmafd >= 0) close(sl->dmafd);
	free(sl->copy);
	free(sl);
	s->nslots--;
}

static void on_add_buffer(void *data, struct pw_buffer *b) {
	mpw_src *s = data;
	mpw_slot *sl = calloc(1, sizeof *sl);
	if (!sl) return;
	s->nslots++;
	__atomic_add_fetch(&s->npw, 1, __ATOMIC_RELAXED);
	sl->pwb = b;
	sl->dmafd = -1;
	sl->all_next = s->all;
	if (s->all) s->all->all_prev = sl;
	s->all = sl;
	struct spa_data *d = &b->buffer->datas[0];
	if (b->buffer->n_datas >= 1 && (d->type == SPA_DATA_MemFd || d->type == SPA_DATA_DmaBuf) && d->fd >= 0) {
		size_t len = (size_t)d->mapoffset + d->maxsize;
		void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, (int)d->fd, 0);
		if (m != MAP_FAILED) {
			sl->map = m; sl->maplen = len;
			sl->base = (uint8_t *)m + d->mapoffset;
			sl->mapoffset = d->mapoffset;
		}
		// a DmaBuf buffer's fd goes to Go with the frame: a dup of our
		// own, so that it stays open as long as a frame holds the slot
		if (d->type == SPA_DATA_DmaBuf) sl->dmafd = fcntl((int)d->fd, F_DUPFD_CLOEXEC, 3);
	}
	b->user_data = sl;
}

static void on_remove_buffer(void *data, struct pw_buffer *b) {
	mpw_src *s = data;
	mpw_slot *sl = b->user_data;
	if (!sl) return;
	b->user_data = NULL;
	sl->pwb = NULL;
	__atomic_sub_fetch(&s->npw, 1, __ATOMIC_RELAXED);
	if (sl->all_prev) ((mpw_slot *)sl->all_prev)->all_next = sl->all_next;
	else s->all = sl->all_next;
	if (sl->all_next) ((mpw_slot *)sl->all_next)->all_prev = sl->all_prev;
	sl->all_next = sl->all_prev = NULL;
	if (!sl->lent) mpw_slot_free(s, sl);
}

// mpw_meta copies the buffer's damage and cursor metadata into sl.
static void mpw_meta(mpw_slot *sl, struct spa_buffer *buf) {
	sl->ndmg = -1;
	struct spa_meta *dm = spa_buffer_find_meta(buf, SPA_META_VideoDamage);
	if (dm) {
		int n = 0;
		struct spa_meta_region *r;
		spa_meta_for_each(r, dm) {
			if (!spa_meta_region_is_valid(r)) break;
			int32_t x = r->region.position.x, y = r->region.position.y;
			int32_t w = (int32_t)SPA_MIN(r->region.size.width, (uint32_t)INT32_MAX / 2);
			int32_t h = (int32_t)SPA_MIN(r->region.size.height, (uint32_t)INT32_MAX / 2);
			if (n < MPW_DAMAGE) {
				sl->dmg[n][0] = x; sl->dmg[n][1] = y; sl->dmg[n][2] = w; sl->dmg[n][3] = h;
				n++;
				continue;
			}
			// full: the last entry grows to cover this one too
			int32_t *l = sl->dmg[MPW_DAMAGE - 1];
			int32_t x1 = SPA_MIN(l[0], x), y1 = SPA_MIN(l[1], y);
			int32_t x2 = SPA_MAX(l[0] + l[2], x + w), y2 = SPA_MAX(l[1] + l[3], y + h);
			l[0] = x1; l[1] = y1; l[2] = x2 - x1; l[3] = y2 - y1;
		}
		// no valid region at all: the producer did not say what changed
		if (n > 0) sl->ndmg = n;
	}
	sl->cursor = 0;
	struct spa_meta_cursor *c = spa_buffer_find_meta_data(buf, SPA_META_Cursor, sizeof(*c));
	if (c && spa_meta_cursor_is_valid(c)) {
		sl->cursor = 1; sl->cx = c->position.x; sl->cy = c->position.y;
	}
}

// mpw_give_back returns a slot Go released to the stream, to the free
// copies, or frees it when PipeWire removed its buffer meanwhile (loop
// lock held).
static void mpw_give_back(mpw_src *s, mpw_slot *sl) {
	sl->lent = 0;
	sl->given = 0;
	if (sl->detached) { sl->next_free = s->free_copies; s->free_copies = sl; }
	else if (sl->pwb && s->stream) pw_stream_queue_buffer(s->stream, sl->pwb);
	else if (!sl->pwb) mpw_slot_free(s, sl);
}

// mpw_drain gives back every slot Go released (loop lock held).
static void mpw_drain(mpw_src *s) {
	uint32_t t = __atomic_load_n(&s->rel_tail, __ATOMIC_ACQUIRE);
	while (s->rel_head != t) {
		mpw_give_back(s, s->rel[s->rel_head % MPW_REL]);
		__atomic_store_n(&s->rel_head, s->rel_head + 1, __ATOMIC_RELEASE);
	}
}

static int do_drain(struct spa_loop *loop, bool async, uint32_t seq, const void *data, size_t size, void *user) {
	mpw_src *s = user;
	if (!s->dead) mpw_drain(s);
	return 0;
}

// do_release is mpw_release on the data loop: data holds the slot.
static int do_release(struct spa_loop *loop, bool async, uint32_t seq, const void *data, size_t size, void *user) {
	mpw_src *s = user;
	mpw_slot *sl;
	memcpy(&sl, data, sizeof sl);
	mpw_drain(s);
	mpw_give_back(s, sl);
	return 0;
}

// on_rel runs on the thread loop when Go wrote rfd. The drain runs on the
// data loop, and the thread loop waits for it, so that it is over before
// anything else the thread loop does (a renegotiation) begins.
static void on_rel(void *data, int fd, uint32_t mask) {
	mpw_src *s = data;
	uint64_t n;
	while (read(fd, &n, sizeof n) < 0 && errno == EINTR) {}
	__atomic_add_fetch(&s->rel_wakes, 1, __ATOMIC_RELAXED);
	pw_loop_invoke(s->dloop, do_drain, SPA_ID_INVALID, NULL, 0, true, s);
}

static void on_process(void *data) {
	mpw_src *s = data;
	struct pw_buffer *b;
	int got = 0, bad = 0;
	if (s->dead) {
		// closing: nothing more is lent
		while ((b = pw_stream_dequeue_buffer(s->stream)) != NULL) pw_stream_queue_buffer(s->stream, b);
		return;
	}
	mpw_drain(s);
	while ((b = pw_stream_dequeue_buffer(s->stream)) != NULL) {
		mpw_slot *sl = b->user_data;
		struct spa_buffer *buf = b->buffer;
		struct spa_data *d = buf->n_datas ? &buf->datas[0] : NULL;
		if (!sl || !d || !d->chunk || d->chunk->size == 0 || (d->chunk->flags & SPA_CHUNK_FLAG_CORRUPTED) ||
		    (!sl->base && !d->data) || s->tail - __atomic_load_n(&s->head, __ATOMIC_ACQUIRE) >= MPW_RING) {
			__atomic_add_fetch(&s->corrupt, 1, __ATOMIC_RELAXED);
			bad = 1;
			s->seq++;
			pw_stream_queue_buffer(s->stream, b);
			continue;
		}
		int64_t now = mpw_now();
		struct spa_meta_header *h = spa_buffer_find_meta_data(buf, SPA_META_Header, sizeof(*h));
		uint64_t seq = s->seq + 1;
		if (h && h->seq > s->last_hdr_seq && s->last_hdr_seq != 0) {
			// the producer's own counter: a jump is frames it skipped
			uint64_t jump = h->seq - s->last_hdr_seq;
			if (jump > 1 && jump < 1000) seq = s->seq + jump;
		}
		if (h) s->last_hdr_seq = h->seq;
		s->seq = seq;
		uint32_t off = d->chunk->offset, size = d->chunk->size;
		int copy = sl->base == NULL;
		if (copy) {
			// MemPtr: PipeWire's memory, valid only while the buffer is
			// ours. Copy it into a slot of our own and give the buffer
			// straight back, so that frames held (across a renegotiation
			// or Close, too) keep their bytes and never stall the producer.
			uint32_t maxsize = d->maxsize;
			if (off > maxsize) off = 0;
			if (size > maxsize - off) size = maxsize - off;
			mpw_slot *c = s->free_copies;
			if (c) s->free_copies = c->next_free;
			else if (s->ncopies < s->want_buffers + 4 && (c = calloc(1, sizeof *c)) != NULL) {
				c->detached = 1; c->dmafd = -1; s->ncopies++; s->nslots++;
			}
			if (c && c->copylen < size) {
				free(c->copy);
				c->copy = malloc(size);
				c->copylen = c->copy ? size : 0;
			}
			if (!c || !c->copy) {
				if (c) { c->next_free = s->free_copies; s->free_copies = c; }
				__atomic_add_fetch(&s->exhausted, 1, __ATOMIC_RELAXED);
				bad = 1;
				pw_stream_queue_buffer(s->stream, b);
				continue;
			}
			memcpy(c->copy, (uint8_t *)d->data + off, size);
			c->base = c->copy;
			c->copied = 1;
			int32_t stride = d->chunk->stride;
			pw_stream_queue_buffer(s->stream, b);
			sl = c;
			sl->stride = stride;
			off = 0;
		} else {
			sl->stride = d->chunk->stride;
		}
		mpw_meta(sl, buf);
		sl->offset = off;
		sl->size = size;
		sl->flags = 0;
		sl->seq = seq;
		sl->ts = now;
		int64_t pts = h ? h->pts : 0;
		if (pts < s->last_pts) pts = s->last_pts;
		if (pts > 0) s->last_pts = pts;
		sl->pts = pts;
		sl->lent = 1;
		s->ring[s->tail % MPW_RING] = sl;
		__atomic_store_n(&s->tail, s->tail + 1, __ATOMIC_RELEASE);
		got = 1;
	}
	if (bad) mpw_changed(s);
	if (got || bad) mpw_wake(s);
}

static void on_state(void *data, enum pw_stream_state old, enum pw_stream_state st, const char *err) {
	mpw_src *s = data;
	if (st == PW_STREAM_STATE_STREAMING && !s->streaming) { s->streaming = 1; mpw_changed(s); }
	if (st == PW_STREAM_STATE_ERROR) mpw_fail(s, 3, err);
	else if (st == PW_STREAM_STATE_UNCONNECTED && old != PW_STREAM_STATE_UNCONNECTED) mpw_fail(s, 3, "stream unconnected");
}

static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param) {
	mpw_src *s = data;
	if (!param || id != SPA_PARAM_Format) return;
	uint32_t mt, mst;
	if (spa_format_parse(param, &mt, &mst) < 0 || mt != SPA_MEDIA_TYPE_video) return;
	if (mst == SPA_MEDIA_SUBTYPE_raw) {
		struct spa_video_info_raw raw;
		spa_zero(raw);
		if (spa_format_video_raw_parse(param, &raw) < 0) return;
		s->vfmt = raw.format; s->width = raw.size.width; s->height = raw.size.height;
		s->fr_num = raw.framerate.num; s->fr_den = raw.framerate.denom;
		if (s->fr_num == 0 && raw.max_framerate.denom) { s->fr_num = raw.max_framerate.num; s->fr_den = raw.max_framerate.denom; }
		s->has_mod = (raw.flags & SPA_VIDEO_FLAG_MODIFIER) != 0;
		s->modifier = raw.modifier;
	} else if (mst == SPA_MEDIA_SUBTYPE_mjpg) {
		struct spa_video_info_mjpg mj;
		spa_zero(mj);
		if (spa_format_video_mjpg_parse(param, &mj) < 0) return;
		s->vfmt = 0; s->width = mj.size.width; s->height = mj.size.height;
		s->has_mod = 0;
		s->fr_num = mj.framerate.num; s->fr_den = mj.framerate.denom;
	} else return;
	s->mt = mt; s->mst = mst;
	uint8_t buffer[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
	const struct spa_pod *params[4];
	int n = s->want_buffers;
	params[0] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers,
		SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int(n, 2, 32),
		SPA_PARAM_BUFFERS_blocks, SPA_POD_Int(1),
		SPA_PARAM_BUFFERS_dataType, SPA_POD_CHOICE_FLAGS_Int((1 << SPA_DATA_MemFd) | (1 << SPA_DATA_MemPtr) | (1 << SPA_DATA_DmaBuf)));
	params[1] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
		SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_header)));
	// damage and cursor position, where the producer offers them
	params[2] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_VideoDamage),
		SPA_PARAM_META_size, SPA_POD_CHOICE_RANGE_Int(sizeof(struct spa_meta_region) * MPW_DAMAGE,
			sizeof(struct spa_meta_region), sizeof(struct spa_meta_region) * MPW_DAMAGE_OFFER));
	params[3] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Cursor),
		SPA_PARAM_META_size, SPA_POD_CHOICE_RANGE_Int(MPW_CURSOR_META_SIZE(64, 64),
			sizeof(struct spa_meta_cursor), MPW_CURSOR_META_SIZE(256, 256)));
	pw_stream_update_params(s->stream, params, 4);
	s->have_format = 1;
	mpw_changed(s);
	mpw_wake(s);
}

static const struct pw_stream_events mpw_stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = on_state,
	.param_changed = on_param_changed,
	.add_buffer = on_add_buffer,
	.remove_buffer = on_remove_buffer,
	.process = on_process,
};

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message) {
	mpw_src *s = data;
	if (id == PW_ID_CORE) {
		char m[256];
		snprintf(m, sizeof m, "%s (%s)", message ? message : "", strerror(-res));
		mpw_fail(s, 2, m);
	}
}

static void on_core_done(void *data, uint32_t id, int seq) {
	mpw_src *s = data;
	if (id == PW_ID_CORE && seq == s->sync_seq) {
		s->synced = 1;
		mpw_changed(s);
		if (!s->target_seen) {
			if (s->grace) {
				// On a portal's remote the session manager grants
				// access to the node after the client appears: wait
				// for its global a while before giving up.
				struct timespec v = {MPW_GRACE_MS / 1000, (MPW_GRACE_MS % 1000) * 1000000L};
				pw_loop_update_timer(pw_thread_loop_get_loop(s->loop), s->grace, &v, NULL, false);
			} else {
				mpw_fail(s, 4, "no such node");
			}
		}
		mpw_wake(s);
	}
}

static void on_grace(void *data, uint64_t expirations) {
	mpw_src *s = data;
	if (!s->target_seen) mpw_fail(s, 4, "no such node (none visible on the portal's connection)");
}

static const struct pw_core_events mpw_core_events = {
	PW_VERSION_CORE_EVENTS,
	.done = on_core_done,
	.error = on_core_error,
};

static void on_global(void *data, uint32_t id, uint32_t perms, const char *type, uint32_t version, const struct spa_dict *props) {
	mpw_src *s = data;
	if (strcmp(type, PW_TYPE_INTERFACE_Node) != 0) return;
	if (s->target != PW_ID_ANY) {
		if (id == s->target) s->target_seen = 1;
		return;
	}
	if (!props || !s->target_name[0]) return;
	const char *name = spa_dict_lookup(props, PW_KEY_NODE_NAME);
	const char *serial = spa_dict_lookup(props, PW_KEY_OBJECT_SERIAL);
	if ((name && strcmp(name, s->target_name) == 0) || (serial && strcmp(serial, s->target_name) == 0)) {
		s->target = id;
		s->target_seen = 1;
	}
}

static void on_global_remove(void *data, uint32_t id) {
	mpw_src *s = data;
	if (s->target != PW_ID_ANY && id == s->target) mpw_fail(s, 1, "node removed");
}

static const struct pw_registry_events mpw_registry_events = {
	PW_VERSION_REGISTRY_EVENTS,
	.global = on_global,
	.global_remove = on_global_remove,
};

void mpw_init(void);
void mpw_destroy(mpw_src *s);

// mpw_privatize replaces a slot's shared mapping by an anonymous one at
// the same address holding the same bytes, so that the frame lent to Go
// keeps its content once the buffer goes back to the producer. mremap
// swaps the pages in one step: a reader sees the old or the new page,
// both with the same bytes. -1 (mapping unchanged) on failure.
static int mpw_privatize(mpw_slot *sl) {
	if (!sl->map) return -1;
	void *a = mmap(NULL, sl->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED) return -1;
	memcpy(a, sl->map, sl->maplen);
	if (mprotect(a, sl->maplen, PROT_READ) < 0 ||
	    mremap(a, sl->maplen, sl->maplen, MREMAP_MAYMOVE | MREMAP_FIXED, sl->map) == MAP_FAILED) {
		munmap(a, sl->maplen);
		return -1;
	}
	return 0;
}

// mpw_open starts a thread loop and a stream consuming node target (or the
// node named/serial target_name) on the remote fd (when fd >= 0) or the
// socket remote (NULL: the default). Formats: the SPA video formats fmts
// (n of them; mjpg adds an MJPG EnumFormat). It returns NULL and sets *err
// (an errno) on failure.
static mpw_src *mpw_open(int fd, const char *remote, uint32_t target, const char *target_name,
		const uint32_t *fmts, int nfmts, int mjpg, uint32_t w, uint32_t h, uint32_t fps,
		int buffers, const char *role, int *err) {
	mpw_init();
	mpw_src *s = calloc(1, sizeof *s);
	if (!s) { *err = ENOMEM; if (fd >= 0) close(fd); return NULL; }
	s->target = target;
	snprintf(s->target_name, sizeof s->target_name, "%s", target_name ? target_name : "");
	s->want_buffers = buffers;
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->rfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->loop = pw_thread_loop_new("miniav-pw", NULL);
	if (s->efd < 0 || s->rfd < 0 || !s->loop) goto fail;
	s->ctx = pw_context_new(pw_thread_loop_get_loop(s->loop), NULL, 0);
	if (!s->ctx) goto fail;
	s->dloop = pw_data_loop_get_loop(pw_context_get_data_loop(s->ctx));
	if (pw_thread_loop_start(s->loop) < 0) goto fail;
	pw_thread_loop_lock(s->loop);
	int fd_remote = fd >= 0;
	if (fd >= 0) {
		s->core = pw_context_connect_fd(s->ctx, fd, NULL, 0);
		fd = -1; // owned by the context now, even on failure
	} else {
		struct pw_properties *p = NULL;
		if (remote && remote[0]) p = pw_properties_new(PW_KEY_REMOTE_NAME, remote, NULL);
		s->core = pw_context_connect(s->ctx, p, 0);
	}
	if (!s->core) { *err = errno ? errno : ECONNREFUSED; pw_thread_loop_unlock(s->loop); goto fail_err; }
	if (fd_remote) s->grace = pw_loop_add_timer(pw_thread_loop_get_loop(s->loop), on_grace, s);
	s->rel_src = pw_loop_add_io(pw_thread_loop_get_loop(s->loop), s->rfd, SPA_IO_IN, false, on_rel, s);
	if (!s->rel_src) { *err = errno ? errno : ENOMEM; pw_thread_loop_unlock(s->loop); goto fail_err; }
	pw_core_add_listener(s->core, &s->core_l, &mpw_core_events, s);
	s->reg = pw_core_get_registry(s->core, PW_VERSION_REGISTRY, 0);
	pw_registry_add_listener(s->reg, &s->reg_l, &mpw_registry_events, s);
	s->sync_seq = pw_core_sync(s->core, PW_ID_CORE, 0);

	struct pw_properties *props = pw_properties_new(PW_KEY_MEDIA_TYPE, "Video",
		PW_KEY_MEDIA_CATEGORY, "Capture", PW_KEY_MEDIA_ROLE, role, NULL);
	if (target == PW_ID_ANY && s->target_name[0])
		pw_properties_set(props, PW_KEY_TARGET_OBJECT, s->target_name);
	s->stream = pw_stream_new(s->core, "miniav", props);
	if (!s->stream) { *err = errno ? errno : ENOMEM; pw_thread_loop_unlock(s->loop); goto fail_err; }
	pw_stream_add_listener(s->stream, &s->stream_l, &mpw_stream_events, s);

	uint8_t buffer[2048];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
	const struct spa_pod *params[2];
	int np = 0;
	struct spa_rectangle def = SPA_RECTANGLE(w ? w : 1280, h ? h : 720);
	struct spa_rectangle rmin = SPA_RECTANGLE(w ? w : 1, h ? h : 1);
	struct spa_rectangle rmax = SPA_RECTANGLE(w ? w : 16384, h ? h : 16384);
	struct spa_fraction fdef = SPA_FRACTION(fps ? fps : 30, 1);
	struct spa_fraction fmin = SPA_FRACTION(0, 1);
	struct spa_fraction fmax = SPA_FRACTION(1000, 1);
	if (nfmts > 0) {
		struct spa_pod_frame f;
		spa_pod_builder_push_object(&b, &f, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat);
		spa_pod_builder_add(&b, SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
			SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw), 0);
		spa_pod_builder_prop(&b, SPA_FORMAT_VIDEO_format, 0);
		struct spa_pod_frame cf;
		spa_pod_builder_push_choice(&b, &cf, SPA_CHOICE_Enum, 0);
		spa_pod_builder_id(&b, fmts[0]);
		for (int i = 0; i < nfmts; i++) spa_pod_builder_id(&b, fmts[i]);
		spa_pod_builder_pop(&b, &cf);
		spa_pod_builder_add(&b,
			SPA_FORMAT_VIDEO_size, SPA_POD_CHOICE_RANGE_Rectangle(&def, &rmin, &rmax),
			SPA_FORMAT_VIDEO_framerate, SPA_POD_CHOICE_RANGE_Fraction(&fdef, &fmin, &fmax), 0);
		params[np++] = spa_pod_builder_pop(&b, &f);
	}
	if (mjpg) {
		params[np++] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat,
			SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
			SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_mjpg),
			SPA_FORMAT_VIDEO_size, SPA_POD_CHOICE_RANGE_Rectangle(&def, &rmin, &rmax),
			SPA_FORMAT_VIDEO_framerate, SPA_POD_CHOICE_RANGE_Fraction(&fdef, &fmin, &fmax));
	}
	int r = pw_stream_connect(s->stream, PW_DIRECTION_INPUT, target,
		PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_DONT_RECONNECT | PW_STREAM_FLAG_RT_PROCESS, params, np);
	pw_thread_loop_unlock(s->loop);
	if (r < 0) { *err = -r; goto fail_err; }
	return s;
fail:
	*err = errno ? errno : ENOMEM;
fail_err:
	if (fd >= 0) close(fd);
	// tear down what exists; the eventfd too (Go never saw it)
	{
		int efd = s->efd;
		s->efd = -1;
		mpw_destroy(s);
		if (efd >= 0) close(efd);
		if (s->nslots == 0) free(s);
	}
	return NULL;
}

// do_final runs on the data loop as the stream is destroyed. What Go
// released goes back first; then buffers still lent go back to the stream
// too: a peer gone with output buffers dequeued leaves a PipeWire 0.3
// producer stalled on its next consumer. The producer reuses those buffers
// (same memfds) for that consumer, so a buffer a frame in Go still holds
// first becomes private memory at the same address (mpw_privatize). From
// here on on_process gives every buffer straight back.
static int do_final(struct spa_loop *loop, bool async, uint32_t seq, const void *data, size_t size, void *user) {
	mpw_src *s = user;
	mpw_drain(s);
	for (mpw_slot *sl = s->all; sl; sl = sl->all_next) {
		if (!sl->pwb || !sl->lent || sl->detached) continue;
		if (sl->given && mpw_privatize(sl) < 0) continue; // keep it: the frame's bytes come first
		pw_stream_queue_buffer(s->stream, sl->pwb);
	}
	s->dead = 1;
	return 0;
}

// mpw_destroy stops the stream and the loop. Slots still lent stay
// mapped; Go frees them (mpw_release_dead) and then s (mpw_free). It
// does not close the eventfd (Go owns it).
void mpw_destroy(mpw_src *s) {
	if (s->loop) {
		pw_thread_loop_lock(s->loop);
		if (s->grace) { pw_loop_destroy_source(pw_thread_loop_get_loop(s->loop), s->grace); s->grace = NULL; }
		if (s->rel_src) { pw_loop_destroy_source(pw_thread_loop_get_loop(s->loop), s->rel_src); s->rel_src = NULL; }
		if (s->stream) {
			pw_loop_invoke(s->dloop, do_final, 0, NULL, 0, true, s);
			pw_stream_destroy(s->stream); s->stream = NULL;
		}
		if (s->reg) { spa_hook_remove(&s->reg_l); pw_proxy_destroy((struct pw_proxy *)s->reg); s->reg = NULL; }
		if (s->core) { spa_hook_remove(&s->core_l); pw_core_disconnect(s->core); s->core = NULL; }
		pw_thread_loop_unlock(s->loop);
		pw_thread_loop_stop(s->loop);
	}
	if (s->ctx) { pw_context_destroy(s->ctx); s->ctx = NULL; }
	if (s->loop) { pw_thread_loop_destroy(s->loop); s->loop = NULL; }
	if (s->rfd >= 0) { close(s->rfd); s->rfd = -1; }
	// slots queued in the ring but never handed to Go
	while (s->head != s->tail) {
		mpw_slot *sl = s->ring[s->head++ % MPW_RING];
		sl->lent = 0;
		if (!sl->pwb) mpw_slot_free(s, sl);
	}
	while (s->free_copies) {
		mpw_slot *sl = s->free_copies;
		s->free_copies = sl->next_free;
		mpw_slot_free(s, sl);
	}
}

typedef struct {
	mpw_slot *slot;
	uint8_t *data;
	uint32_t size;
	int32_t stride;
	uint64_t seq;
	int64_t ts, pts;
	int copied;
	int dmafd;              // -1: not a DmaBuf buffer
	uint32_t dmaoff;        // where data starts in dmafd
} mpw_frame;

typedef struct {
	uint32_t gen;
	int have_format, lost, synced, streaming, has_mod;
	uint64_t modifier;
	uint32_t vfmt, width, height, fr_num, fr_den, mst;
	uint64_t corrupt, exhausted;
} mpw_status;

// mpw_pop takes the oldest ready frame (returns 1; f NULL: none) and
// reports the source's status.
static int mpw_pop(mpw_src *s, mpw_frame *f, mpw_status *st) {
	int ok = 0;
	pw_thread_loop_lock(s->loop);
	if (f && s->head != s->tail) {
		mpw_slot *sl = s->ring[s->head++ % MPW_RING];
		f->slot = sl;
		f->data = sl->base + sl->offset;
		f->size = sl->size;
		f->stride = sl->stride;
		f->seq = sl->seq;
		f->ts = sl->ts;
		f->pts = sl->pts;
		f->copied = sl->copied;
		f->dmafd = sl->copied ? -1 : sl->dmafd;
		f->dmaoff = sl->mapoffset + sl->offset;
		sl->given = 1;
		ok = 1;
	}
	st->gen = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
	st->has_mod = s->has_mod; st->modifier = s->modifier;
	st->have_format = s->have_format; st->lost = s->lost; st->synced = s->synced; st->streaming = s->streaming;
	st->vfmt = s->vfmt; st->width = s->width; st->height = s->height;
	st->fr_num = s->fr_num; st->fr_den = s->fr_den; st->mst = s->mst;
	st->corrupt = __atomic_exchange_n(&s->corrupt, 0, __ATOMIC_ACQ_REL);
	st->exhausted = __atomic_exchange_n(&s->exhausted, 0, __ATOMIC_ACQ_REL);
	pw_thread_loop_unlock(s->loop);
	return ok;
}

static void mpw_errmsg(mpw_src *s, char *out, size_t n) {
	pw_thread_loop_lock(s->loop);
	snprintf(out, n, "%s", s->err);
	pw_thread_loop_unlock(s->loop);
}

// mpw_release gives a lent slot back to the stream (loop alive), after
// those Go released through the rel ring: the slow path, for a full ring.
static void mpw_release(mpw_src *s, mpw_slot *sl) {
	pw_thread_loop_lock(s->loop);
	pw_loop_invoke(s->dloop, do_release, 0, &sl, sizeof sl, true, s);
	pw_thread_loop_unlock(s->loop);
}

// mpw_release_dead frees a slot released after mpw_destroy; it returns
// the number of slots still allocated.
static int mpw_release_dead(mpw_src *s, mpw_slot *sl) {
	sl->lent = 0;
	mpw_slot_free(s, sl);
	return s->nslots;
}

static int mpw_nslots(mpw_src *s) { return s->nslots; }
static int mpw_efd(mpw_src *s) { return s->efd; }
static void mpw_free(mpw_src *s) { free(s); }
*/
import "C"

import (
	"context"
	"fmt"
	"image"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
)

const cgoEnabled = true

// SPA video formats (spa/param/video/raw.h) and their miniav names.
var spaFormats = []struct {
	spa uint32
	pf  format.PixelFormat
}{
	{C.SPA_VIDEO_FORMAT_BGRx, format.BGRX},
	{C.SPA_VIDEO_FORMAT_RGBx, format.RGBX},
	{C.SPA_VIDEO_FORMAT_BGRA, format.BGRA},
	{C.SPA_VIDEO_FORMAT_RGBA, format.RGBA},
	{C.SPA_VIDEO_FORMAT_xRGB, format.FourCC('X', 'B', 'G', 'R')},
	{C.SPA_VIDEO_FORMAT_ARGB, format.ARGB},
	{C.SPA_VIDEO_FORMAT_ABGR, format.ABGR},
	{C.SPA_VIDEO_FORMAT_YUY2, format.YUYV},
	{C.SPA_VIDEO_FORMAT_UYVY, format.UYVY},
	{C.SPA_VIDEO_FORMAT_NV12, format.NV12},
	{C.SPA_VIDEO_FORMAT_NV21, format.NV21},
	{C.SPA_VIDEO_FORMAT_I420, format.I420},
	{C.SPA_VIDEO_FORMAT_YV12, format.YV12},
	{C.SPA_VIDEO_FORMAT_RGB, format.RGB24},
	{C.SPA_VIDEO_FORMAT_BGR, format.BGR24},
	{C.SPA_VIDEO_FORMAT_GRAY8, format.GRAY8},
}

func fromSPA(v uint32) format.PixelFormat {
	for _, f := range spaFormats {
		if f.spa == v {
			return f.pf
		}
	}
	return 0
}

// nodeStream is a pw_stream consuming one node on its own thread loop.
type nodeStream struct {
	c      *C.mpw_src
	efd    *os.File
	rc     syscall.RawConn
	info   backend.Info
	obs    backend.Observer
	lostFn func() error // extra end-of-stream check (the portal session)

	mu      sync.Mutex   // guards closed, lent, f, st, gen, the rings' Go ends and every C call but the wait
	f       C.mpw_frame  // mpw_pop's results: fields, not locals, which
	st      C.mpw_status // would escape to the heap on every cgo call
	gen     uint32       // the C side's gen when st was read
	one     uint64       // what giveBack writes to the C side's rfd
	dl      time.Time    // when Read next looks at the portal session
	setDL   time.Time    // the eventfd's read deadline
	closed  bool
	freed   bool
	lent    map[uint64]*C.mpw_slot
	token   uint64
	waitCtx context.Context
	stopCtx func() bool
	next    uint64
	lastTS  time.Duration
	lastDTS time.Duration
}

// openNode connects a stream and waits until its format is negotiated.
func openNode(ctx context.Context, p connectParams) (*nodeStream, error) {
	var fmts []C.uint32_t
	mjpg := C.int(0)
	for _, f := range spaFormats {
		if p.video.PixelFormat == 0 || p.video.PixelFormat == f.pf {
			fmts = append(fmts, C.uint32_t(f.spa))
		}
	}
	if p.video.PixelFormat == format.MJPEG {
		mjpg = 1
	} else if p.video.PixelFormat == 0 && p.kind == backend.KindCamera {
		mjpg = 1
	}
	if len(fmts) == 0 && mjpg == 0 {
		if p.fd != nil {
			p.fd.Close()
		}
		return nil, fmt.Errorf("pipewire: pixel format %v has no SPA equivalent: %w", p.video.PixelFormat, backend.ErrNotSupported)
	}
	var fmtPtr *C.uint32_t
	if len(fmts) > 0 {
		fmtPtr = &fmts[0]
	}
	fd := C.int(-1)
	if p.fd != nil {
		// libpipewire owns the descriptor from here on.
		nfd, err := syscall.Dup(int(p.fd.Fd()))
		p.fd.Close()
		if err != nil {
			return nil, fmt.Errorf("pipewire: dup remote fd: %w", err)
		}
		syscall.CloseOnExec(nfd)
		fd = C.int(nfd)
	}
	target := C.uint32_t(C.PW_ID_ANY)
	if p.node != 0 {
		target = C.uint32_t(p.node)
	}
	cremote, cname, crole := C.CString(p.remote), C.CString(p.name), C.CString(p.role)
	defer C.free(unsafe.Pointer(cremote))
	defer C.free(unsafe.Pointer(cname))
	defer C.free(unsafe.Pointer(crole))
	fps := 0
	if p.video.FrameRate.Den > 0 {
		fps = p.video.FrameRate.Num / p.video.FrameRate.Den
	}
	var cerr C.int
	// fmtPtr points into a Go slice that mpw_open only reads during the call.
	c := C.mpw_open(fd, cremote, target, cname, fmtPtr, C.int(len(fmts)), mjpg,
		C.uint32_t(p.video.Width), C.uint32_t(p.video.Height), C.uint32_t(fps), C.int(p.buffers), crole, &cerr)
	if c == nil {
		err := syscall.Errno(cerr)
		if p.fd == nil {
			return nil, fmt.Errorf("pipewire: connect to PipeWire (remote %q): %v: %w", p.remote, err, backend.ErrNotFound)
		}
		return nil, fmt.Errorf("pipewire: connect on the portal's remote: %v: %w", err, backend.ErrDeviceLost)
	}
	s := &nodeStream{c: c, obs: p.obs, lent: map[uint64]*C.mpw_slot{}, gen: ^uint32(0)}
	s.efd = os.NewFile(uintptr(C.mpw_efd(c)), "miniav-pipewire-eventfd")
	s.rc, _ = s.efd.SyscallConn()
	if p.portalLost != nil {
		s.lostFn = func() error {
			select {
			case <-p.portalLost:
				return fmt.Errorf("pipewire: the portal closed the screen cast session: %w", backend.ErrDeviceLost)
			default:
				return nil
			}
		}
	}
	// Wait for the format.
	deadline := time.Now().Add(p.timeout)
	stop := context.AfterFunc(ctx, s.notify)
	defer stop()
	for {
		s.mu.Lock()
		C.mpw_pop(c, nil, &s.st) // the status only: frames wait for Read
		st := s.st
		s.mu.Unlock()
		if st.lost != 0 {
			err := s.lostErr(int(st.lost))
			s.Close()
			if st.lost == 4 {
				return nil, fmt.Errorf("%v: %w", err, backend.ErrNotFound)
			}
			return nil, err
		}
		if st.have_format != 0 {
			v, err := videoOf(&st)
			if err != nil {
				s.Close()
				return nil, err
			}
			s.info = backend.Info{Kind: p.kind, Video: v, ZeroCopy: true, Mode: p.mode}
			return s, nil
		}
		if err := ctx.Err(); err != nil {
			s.Close()
			return nil, err
		}
		if err := s.lostCheck(); err != nil {
			s.Close()
			return nil, err
		}
		if time.Now().After(deadline) {
			s.Close()
			return nil, fmt.Errorf("pipewire: no format negotiated within %v (no producer linked to the stream): %w", p.timeout, backend.ErrNotFound)
		}
		s.wait(time.Now().Add(100 * time.Millisecond))
	}
}

func videoOf(st *C.mpw_status) (format.Video, error) {
	v := format.Video{Width: int(st.width), Height: int(st.height)}
	if st.fr_den > 0 {
		v.FrameRate = format.Rational{Num: int(st.fr_num), Den: int(st.fr_den)}
	}
	if st.mst == C.SPA_MEDIA_SUBTYPE_mjpg {
		v.PixelFormat = format.MJPEG
	} else if v.PixelFormat = fromSPA(uint32(st.vfmt)); v.PixelFormat == 0 {
		return v, fmt.Errorf("pipewire: negotiated SPA video format %d is unknown to miniav: %w", st.vfmt, backend.ErrNotSupported)
	}
	return v, nil
}

func (s *nodeStream) lostCheck() error {
	if s.lostFn != nil {
		return s.lostFn()
	}
	return nil
}

func (s *nodeStream) lostErr(why int) error {
	var buf [256]C.char
	C.mpw_errmsg(s.c, &buf[0], C.size_t(len(buf)))
	msg := C.GoString(&buf[0])
	switch why {
	case 1:
		return fmt.Errorf("pipewire: the node went away (%s): %w", msg, backend.ErrDeviceLost)
	case 2:
		return fmt.Errorf("pipewire: connection to PipeWire lost: %s: %w", msg, backend.ErrDeviceLost)
	case 4:
		return fmt.Errorf("pipewire: %s", msg)
	default:
		return fmt.Errorf("pipewire: stream error: %s: %w", msg, backend.ErrDeviceLost)
	}
}

func drainEventfd(fd uintptr) bool {
	var b [8]byte
	_, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return e != syscall.EAGAIN
}

func (s *nodeStream) wait(deadline time.Time) {
	if s.rc == nil {
		return
	}
	if !deadline.Equal(s.setDL) {
		s.setDL = deadline
		s.efd.SetReadDeadline(deadline)
	}
	s.rc.Read(drainEventfd)
}

func (s *nodeStream) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		b := [8]byte{1}
		s.efd.Write(b[:])
	}
}

// Info implements backend.Source.
func (s *nodeStream) Info() backend.Info { return s.info }

// checkEvery bounds how long a Read waits before it looks at the portal
// session again (PipeWire's own end-of-stream events wake it at once).
const checkEvery = 250 * time.Millisecond

// Read implements backend.Source.
func (s *nodeStream) Read(ctx context.Context, b *backend.Buffer) error {
	if ctx != s.waitCtx {
		if s.stopCtx != nil {
			s.stopCtx()
		}
		s.waitCtx, s.stopCtx = ctx, nil
		if ctx.Done() != nil {
			s.stopCtx = context.AfterFunc(ctx, s.notify)
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return fmt.Errorf("pipewire: read after Close: %w", backend.ErrClosed)
		}
		var ok bool
		if g := atomic.LoadUint32((*uint32)(unsafe.Pointer(&s.c.gen))); g != s.gen {
			// the status changed (format, end of stream, drops): ask C
			ok = C.mpw_pop(s.c, &s.f, &s.st) == 1
			s.gen = uint32(s.st.gen)
		} else {
			ok = s.pop()
		}
		if ok {
			s.token++
			s.lent[s.token] = s.f.slot
		}
		tok, f, st := s.token, s.f, s.st
		s.st.corrupt, s.st.exhausted = 0, 0 // reported once, below
		s.mu.Unlock()
		if st.corrupt > 0 {
			s.obs.Dropped(backend.DropError, uint64(st.corrupt))
		}
		if st.exhausted > 0 {
			s.obs.Dropped(backend.DropPoolExhausted, uint64(st.exhausted))
		}
		if ok {
			if err := s.fill(b, &f, &st, tok); err != nil {
				s.ReleaseBuffer(tok)
				return err
			}
			return nil
		}
		if st.lost != 0 {
			return s.lostErr(int(st.lost))
		}
		if err := s.lostCheck(); err != nil {
			return err
		}
		// Move the deadline only when it is near: each move while Read
		// waits costs a timer update.
		if now := time.Now(); s.dl.Sub(now) < checkEvery/2 {
			s.dl = now.Add(checkEvery)
		}
		s.wait(s.dl)
	}
}

// pop takes the oldest frame of the C side's ring into s.f, with no cgo
// call (s.mu held): a cgo call enters a syscall, which wakes the runtime's
// sysmon thread from its idle sleep; once per frame that cost about 100 µs
// of CPU per frame on a 2-core VM, more than all the rest (bench/pipewire).
func (s *nodeStream) pop() bool {
	head := uint32(s.c.head) // only Go writes head
	if atomic.LoadUint32((*uint32)(unsafe.Pointer(&s.c.tail))) == head {
		return false
	}
	sl := s.c.ring[head%C.MPW_RING]
	f := &s.f
	f.slot = sl
	f.data = (*C.uint8_t)(unsafe.Add(unsafe.Pointer(sl.base), uintptr(sl.offset)))
	f.size, f.stride, f.seq, f.ts, f.pts, f.copied = sl.size, sl.stride, sl.seq, sl.ts, sl.pts, sl.copied
	f.dmafd = sl.dmafd
	if sl.copied != 0 {
		f.dmafd = -1
	}
	f.dmaoff = sl.mapoffset + sl.offset
	sl.given = 1 // read by mpw_destroy only, which runs under s.mu too
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&s.c.head)), head+1)
	return true
}

// giveBack queues a released slot for the thread loop, with no cgo call
// (s.mu held; false: the queue is full). The loop hands it back to the
// stream on its next process callback, which in steady state comes with
// the next frame; when PipeWire's buffers run low on the producer's side
// (all but one of them lent, queued for Go or waiting here) the loop is
// woken at once instead.
func (s *nodeStream) giveBack(sl *C.mpw_slot) bool {
	tail := uint32(s.c.rel_tail) // only Go writes rel_tail
	relHead := atomic.LoadUint32((*uint32)(unsafe.Pointer(&s.c.rel_head)))
	if tail-relHead >= C.MPW_REL {
		return false
	}
	s.c.rel[tail%C.MPW_REL] = sl
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&s.c.rel_tail)), tail+1)
	ready := atomic.LoadUint32((*uint32)(unsafe.Pointer(&s.c.tail))) - uint32(s.c.head)
	held := int64(len(s.lent)) + int64(tail+1-relHead) + int64(ready)
	if held >= int64(atomic.LoadInt32((*int32)(unsafe.Pointer(&s.c.npw))))-1 {
		s.one = 1
		syscall.RawSyscall(syscall.SYS_WRITE, uintptr(s.c.rfd), uintptr(unsafe.Pointer(&s.one)), 8)
	}
	return true
}

// relWakes is how often a release woke the thread loop (for tests).
func (s *nodeStream) relWakes() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0
	}
	return atomic.LoadUint64((*uint64)(unsafe.Pointer(&s.c.rel_wakes)))
}

// pwBuffers is the number of PipeWire's buffers the stream has (tests).
func (s *nodeStream) pwBuffers() int {
	return int(atomic.LoadInt32((*int32)(unsafe.Pointer(&s.c.npw))))
}

// fill describes frame f as b.
func (s *nodeStream) fill(b *backend.Buffer, f *C.mpw_frame, st *C.mpw_status, tok uint64) error {
	v, err := videoOf(st)
	if err != nil {
		return err
	}
	data := unsafe.Slice((*byte)(unsafe.Pointer(f.data)), int(f.size))
	b.Video = v
	pf := v.PixelFormat
	var offs [4]int
	if !pf.Known() || pf.Compressed() {
		b.Planes[0], b.NumPlanes = data, 1
	} else {
		stride := int(f.stride)
		bpl0, _ := pf.PlaneSize(0, v.Width, v.Height)
		if stride < bpl0 {
			stride = bpl0 // MemPtr buffers often carry stride 0
		}
		off := 0
		n := pf.NumPlanes()
		for i := range n {
			bpl, rows := pf.PlaneSize(i, v.Width, v.Height)
			ps := bpl
			if bpl0 > 0 {
				ps = stride * bpl / bpl0
			}
			end := off + ps*rows
			if end > len(data) {
				s.obs.Dropped(backend.DropError, 1)
				return fmt.Errorf("pipewire: %v buffer of %d bytes is shorter than its %d planes (stride %d)", v, len(data), n, stride)
			}
			b.Planes[i], b.Strides[i] = data[off:end:end], ps
			offs[i] = off
			off = end
		}
		b.NumPlanes = n
	}
	b.Sequence = uint64(f.seq)
	if n := uint64(st.corrupt) + uint64(st.exhausted); n > 0 && b.Sequence > s.next+1 && s.next != 0 {
		// buffers the C side skipped (empty, corrupt, no copy slot free)
		// were reported to the observer just now
		b.Skipped = min(n, b.Sequence-s.next-1)
	}
	s.next = b.Sequence
	ts := backend.FromMonotonic(time.Duration(f.ts))
	if ts < s.lastTS {
		ts = s.lastTS
	}
	if now := backend.Now(); ts > now {
		ts = now
	}
	s.lastTS = ts
	b.Timestamp = ts
	if f.pts > 0 {
		d := time.Duration(f.pts)
		if d < s.lastDTS {
			d = s.lastDTS
		}
		s.lastDTS = d
		b.DeviceTimestamp = d
	}
	if f.copied != 0 {
		b.Flags |= backend.FlagCopied
	}
	b.Flags &^= backend.FlagDMABuf | backend.FlagModifier
	b.Modifier = 0
	if f.dmafd >= 0 {
		// a DmaBuf buffer: its fd (the slot's own dup) per plane, the
		// planes at their offsets in it, with the CPU view above
		b.Flags |= backend.FlagDMABuf
		for i := range b.NumPlanes {
			b.DMABuf[i], b.DMABufOffset[i] = int(f.dmafd), int(f.dmaoff)+offs[i]
		}
		if st.has_mod != 0 {
			b.Flags |= backend.FlagModifier
			b.Modifier = uint64(st.modifier)
		}
	}
	meta(b, f.slot)
	b.Releaser = s
	b.Token = tok
	return nil
}

// The C side's array of damage is backend.MaxDamage long.
const _ = uint(C.MPW_DAMAGE-backend.MaxDamage) + uint(backend.MaxDamage-C.MPW_DAMAGE)

// meta describes the damage and cursor metadata of slot sl (copied from
// the PipeWire buffer in on_process) on b: damage clipped to the frame,
// the cursor only while it is over the frame.
func meta(b *backend.Buffer, sl *C.mpw_slot) {
	b.Flags &^= backend.FlagDamage | backend.FlagCursor
	b.NumDamage, b.Cursor = 0, image.Point{}
	bounds := image.Rect(0, 0, b.Video.Width, b.Video.Height)
	if sl.ndmg >= 0 {
		n := 0
		for i := range min(int(sl.ndmg), backend.MaxDamage) {
			d := &sl.dmg[i]
			x, y := int(d[0]), int(d[1])
			if r := image.Rect(x, y, x+int(d[2]), y+int(d[3])).Intersect(bounds); !r.Empty() {
				b.Damage[n] = r
				n++
			}
		}
		b.NumDamage = n
		b.Flags |= backend.FlagDamage
	}
	if sl.cursor != 0 {
		if p := image.Pt(int(sl.cx), int(sl.cy)); p.In(bounds) {
			b.Cursor = p
			b.Flags |= backend.FlagCursor
		}
	}
}

// ReleaseBuffer implements backend.Releaser.
func (s *nodeStream) ReleaseBuffer(tok uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl, ok := s.lent[tok]
	if !ok {
		return
	}
	delete(s.lent, tok)
	if !s.closed {
		if !s.giveBack(sl) {
			C.mpw_release(s.c, sl)
		}
		return
	}
	C.mpw_release_dead(s.c, sl)
	s.maybeFree()
}

// maybeFree frees the C source once closed and nothing is lent (s.mu held).
func (s *nodeStream) maybeFree() {
	if s.closed && !s.freed && len(s.lent) == 0 && C.mpw_nslots(s.c) == 0 {
		s.freed = true
		C.mpw_free(s.c)
	}
}

// Close implements backend.Source.
func (s *nodeStream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.stopCtx != nil {
		s.stopCtx()
	}
	C.mpw_destroy(s.c)
	s.efd.Close()
	s.maybeFree()
	return nil
}

// spaPixelFormat maps an SPA media subtype and raw video format onto
// miniav's pixel format (0: unknown).
func spaPixelFormat(subtype, v uint32) format.PixelFormat {
	switch subtype {
	case C.SPA_MEDIA_SUBTYPE_raw:
		return fromSPA(v)
	case C.SPA_MEDIA_SUBTYPE_mjpg:
		return format.MJPEG
	case C.SPA_MEDIA_SUBTYPE_h264:
		return format.H264
	}
	return 0
}
