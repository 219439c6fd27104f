/*
 * A MiniAV program, written against the MiniAV 0.7 API as its users write
 * them, run against miniav's drop-in libminiav_c by cabi/miniavc's tests:
 *
 *     MINIAV_TEST_BARS="y,u,v ..." MINIAV_TEST_RGB="r,g,b ..." ./client [x11]
 *
 * The environment carries the testsrc pattern (from package testsrc, so
 * the program holds no copy of it). With "x11" it captures the X display
 * of $DISPLAY (an Xvfb started by the test) instead of the test pattern;
 * with "pulse HZ" it captures the private PulseAudio of $PULSE_SERVER, which
 * plays a tone of HZ into its default output and its microphone.
 * With "v4l2 NODE..." it captures the V4L2 nodes (vivid in the test VM,
 * its 75% colour bars with the OSD off in MINIAV_TEST_BARS) instead:
 * YUY2 on the first, NV12 on the others.
 * It prints PASS, or FAIL lines and exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "miniav.h"
#include "miniav_playback.h"
#include "miniav_ext.h"

static int checks, failures;

#define CHECK(cond, ...)                                                         \
	do {                                                                         \
		checks++;                                                                \
		if (!(cond)) {                                                           \
			failures++;                                                          \
			fprintf(stderr, "FAIL %s:%d: %s: ", __func__, __LINE__, #cond);      \
			fprintf(stderr, __VA_ARGS__);                                        \
			fputc('\n', stderr);                                                 \
		}                                                                        \
	} while (0)

#define RC(call, want)                                                                              \
	do {                                                                                            \
		MiniAVResultCode rc_ = (call);                                                              \
		CHECK(rc_ == (want), "%s = %d (%s), want %d", #call, rc_, MiniAV_GetErrorString(rc_), want); \
	} while (0)

static uint8_t bars_yuv[8][3], bars_rgb[8][3];

static void load_bars(const char *env, uint8_t bars[8][3]) {
	const char *s = getenv(env);
	if (s == NULL) {
		fprintf(stderr, "%s must be set\n", env);
		exit(2);
	}
	for (int i = 0; i < 8; i++) {
		unsigned a, b, c;
		int n = 0;
		if (sscanf(s, " %u,%u,%u%n", &a, &b, &c, &n) != 3) {
			fprintf(stderr, "bad %s\n", env);
			exit(2);
		}
		s += n;
		bars[i][0] = (uint8_t)a, bars[i][1] = (uint8_t)b, bars[i][2] = (uint8_t)c;
	}
}

static int64_t now_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_ms(int ms) {
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* The testsrc pattern: bar_at is the bar under column x of frame k, and
 * luma_stamp decodes k from the 32 blocks of the top rows. */
static int bar_at(int x, int w, uint64_t k) {
	int off = (int)((k * 4) % (uint64_t)w) & ~1;
	return ((x + off) % w) * 8 / w;
}

/* luma(x, y) of a buffer in I420 or BGRX. */
static uint8_t luma(const MiniAVBuffer *b, int x, int y) {
	const MiniAVVideoPlane *p = &b->data.video.planes[0];
	const uint8_t *d = p->data_ptr;
	if (b->data.video.info.pixel_format == MINIAV_PIXEL_FORMAT_BGRX32) {
		return d[y * p->stride_bytes + 4 * x + 2]; /* red: the stamp is white or black */
	}
	return d[y * p->stride_bytes + x];
}

static int64_t stamp(const MiniAVBuffer *b) {
	int w = (int)b->data.video.info.width, h = (int)b->data.video.info.height;
	int bw = (w / 32) & ~1;
	int bh = (h / 4 < 16 ? h / 4 : 16) & ~1;
	uint32_t k = 0;
	for (int bit = 0; bit < 32; bit++) {
		uint8_t l = luma(b, bit * bw + bw / 2, bh / 2);
		if (l >= 200) {
			k |= 1u << (31 - bit);
		} else if (l > 40) {
			return -1;
		}
	}
	return k;
}

/* check_video checks one buffer of the test pattern: its description and
 * the colour of every bar in the middle row. It returns the frame index. */
static int64_t check_video(const MiniAVBuffer *b, uint32_t w, uint32_t h, MiniAVPixelFormat pf, void *ud) {
	const MiniAVVideoInfo *in = &b->data.video.info;
	CHECK(b->type == MINIAV_BUFFER_TYPE_VIDEO, "type %d", b->type);
	CHECK(b->content_type == MINIAV_BUFFER_CONTENT_TYPE_CPU, "content type %d", b->content_type);
	CHECK(in->width == w && in->height == h && in->pixel_format == pf, "info %ux%u pf %d, want %ux%u pf %d", in->width,
	      in->height, in->pixel_format, w, h, pf);
	CHECK(b->user_data == ud, "user_data %p, want %p", b->user_data, ud);
	CHECK(b->internal_handle != NULL, "no internal_handle");
	int64_t k = stamp(b);
	CHECK(k >= 0, "no index stamp");
	const MiniAVVideoPlane *p = b->data.video.planes;
	if (pf == MINIAV_PIXEL_FORMAT_I420) {
		CHECK(b->data.video.num_planes == 3, "planes %u", b->data.video.num_planes);
		CHECK(p[0].stride_bytes == w && p[1].stride_bytes == w / 2 && p[2].stride_bytes == w / 2, "strides %u %u %u",
		      p[0].stride_bytes, p[1].stride_bytes, p[2].stride_bytes);
		CHECK(p[0].width == w && p[0].height == h && p[1].width == w / 2 && p[1].height == h / 2 &&
		          p[2].width == w / 2 && p[2].height == h / 2,
		      "plane sizes %ux%u %ux%u %ux%u", p[0].width, p[0].height, p[1].width, p[1].height, p[2].width, p[2].height);
		CHECK(p[0].data_ptr && p[1].data_ptr && p[2].data_ptr && !p[3].data_ptr, "plane pointers %p %p %p %p",
		      p[0].data_ptr, p[1].data_ptr, p[2].data_ptr, p[3].data_ptr);
		CHECK(b->data_size_bytes == (size_t)w * h * 3 / 2, "data_size_bytes %zu", b->data_size_bytes);
	} else {
		CHECK(b->data.video.num_planes == 1 && p[0].stride_bytes == 4 * w && p[0].data_ptr && !p[1].data_ptr,
		      "planes %u stride %u", b->data.video.num_planes, p[0].stride_bytes);
		CHECK(b->data_size_bytes == (size_t)w * h * 4, "data_size_bytes %zu", b->data_size_bytes);
	}
	for (int i = 0; i < 4; i++) {
		CHECK(p[i].dmabuf_fd == -1 && p[i].offset_bytes == 0, "plane %d fd %d offset %u", i, p[i].dmabuf_fd,
		      p[i].offset_bytes);
	}
	if (k < 0) {
		return k;
	}
	int y = (int)h / 2;
	for (int bar = 0; bar < 8; bar++) {
		int x = ((2 * bar + 1) * (int)w / 16) & ~1;
		int want = bar_at(x, (int)w, (uint64_t)k);
		if (pf == MINIAV_PIXEL_FORMAT_I420) {
			const uint8_t *Y = p[0].data_ptr, *U = p[1].data_ptr, *V = p[2].data_ptr;
			uint8_t yy = Y[y * p[0].stride_bytes + x], u = U[(y / 2) * p[1].stride_bytes + x / 2],
			        v = V[(y / 2) * p[2].stride_bytes + x / 2];
			CHECK(yy == bars_yuv[want][0] && u == bars_yuv[want][1] && v == bars_yuv[want][2],
			      "frame %" PRId64 " x=%d: YUV %u,%u,%u, want bar %d", k, x, yy, u, v, want);
		} else {
			const uint8_t *px = (const uint8_t *)p[0].data_ptr + y * p[0].stride_bytes + 4 * x;
			CHECK(px[2] == bars_rgb[want][0] && px[1] == bars_rgb[want][1] && px[0] == bars_rgb[want][2],
			      "frame %" PRId64 " x=%d: BGR %u,%u,%u, want bar %d", k, x, px[0], px[1], px[2], want);
		}
	}
	return k;
}

/* A queue of buffers from the callback to the releasing thread. */
#define QMAX 1024
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	const MiniAVBuffer *q[QMAX];
	int head, n;
	int closed;
} queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, 0};

static void push(const MiniAVBuffer *b) {
	pthread_mutex_lock(&queue.mu);
	if (queue.n < QMAX) {
		queue.q[(queue.head + queue.n++) % QMAX] = b;
	} else {
		MiniAV_ReleaseBuffer(b->internal_handle);
	}
	pthread_cond_signal(&queue.cond);
	pthread_mutex_unlock(&queue.mu);
}

static const MiniAVBuffer *pop(void) {
	pthread_mutex_lock(&queue.mu);
	while (queue.n == 0 && !queue.closed) {
		pthread_cond_wait(&queue.cond, &queue.mu);
	}
	const MiniAVBuffer *b = NULL;
	if (queue.n > 0) {
		b = queue.q[queue.head];
		queue.head = (queue.head + 1) % QMAX;
		queue.n--;
	}
	pthread_mutex_unlock(&queue.mu);
	return b;
}

static atomic_int callbacks;
static atomic_uintptr_t callback_thread;

static void on_buffer(const MiniAVBuffer *b, void *ud) {
	(void)ud;
	atomic_fetch_add(&callbacks, 1);
	atomic_store(&callback_thread, (uintptr_t)pthread_self());
	push(b);
}

/* The consumer: checks each buffer after its callback has returned, on
 * another thread, and releases it. */
struct consumer {
	uint32_t w, h;
	MiniAVPixelFormat pf;
	void *ud;
	int want, got;
	int64_t last_ts, last_k;
	int increasing;
};

static void *consume(void *arg) {
	struct consumer *c = arg;
	c->last_ts = -1, c->last_k = -1, c->increasing = 1;
	while (c->got < c->want) {
		const MiniAVBuffer *b = pop();
		if (b == NULL) {
			break;
		}
		int64_t k = check_video(b, c->w, c->h, c->pf, c->ud);
		int64_t now = now_us();
		CHECK(b->timestamp_us <= now && b->timestamp_us > now - 2000000, "timestamp %" PRId64 " us, now %" PRId64,
		      b->timestamp_us, now);
		if (b->timestamp_us <= c->last_ts || k <= c->last_k) {
			c->increasing = 0;
		}
		c->last_ts = b->timestamp_us, c->last_k = k;
		void *h = b->internal_handle;
		RC(MiniAV_ReleaseBuffer(h), MINIAV_SUCCESS);
		if (c->got == 0) {
			RC(MiniAV_ReleaseBuffer(h), MINIAV_ERROR_INVALID_HANDLE); /* double release */
		}
		c->got++;
	}
	return NULL;
}

static void drain(void) {
	const MiniAVBuffer *b;
	pthread_mutex_lock(&queue.mu);
	while (queue.n > 0) {
		b = queue.q[queue.head];
		queue.head = (queue.head + 1) % QMAX;
		queue.n--;
		RC(MiniAV_ReleaseBuffer(b->internal_handle), MINIAV_SUCCESS);
	}
	pthread_mutex_unlock(&queue.mu);
}

static int find(const MiniAVDeviceInfo *d, uint32_t n, const char *id) {
	for (uint32_t i = 0; i < n; i++) {
		if (strcmp(d[i].device_id, id) == 0) {
			return (int)i;
		}
	}
	return -1;
}

static void test_common(void) {
	uint32_t a = 9, b = 9, c = 9;
	RC(MiniAV_GetVersion(&a, &b, &c), MINIAV_SUCCESS);
	CHECK(a == 0 && b == 7 && c == 0, "version %u.%u.%u", a, b, c);
	RC(MiniAV_GetVersion(NULL, &b, &c), MINIAV_ERROR_INVALID_ARG);
	CHECK(strncmp(MiniAV_GetVersionString(), "0.7.0", 5) == 0, "version string %s", MiniAV_GetVersionString());
	CHECK(strcmp(MiniAV_GetErrorString(MINIAV_ERROR_INVALID_HANDLE), "Invalid handle") == 0, "%s",
	      MiniAV_GetErrorString(MINIAV_ERROR_INVALID_HANDLE));
	CHECK(MiniAV_GetErrorString((MiniAVResultCode)-99) != NULL, "no string for an unknown code");
	RC(MiniAV_ReleaseBuffer(NULL), MINIAV_SUCCESS);
	RC(MiniAV_ReleaseBuffer((void *)(uintptr_t)0x7fff0000), MINIAV_ERROR_INVALID_HANDLE);
	RC(MiniAV_Free(NULL), MINIAV_SUCCESS);
	RC(MiniAV_SetLogLevel((MiniAVLogLevel)42), MINIAV_ERROR_INVALID_ARG);
}

/* Log messages: malloc'ed, owned (and freed) by the receiver. */
static atomic_int logs, logs_with_id;

static atomic_int logs_leaked;

static void on_log(MiniAVLogLevel level, const char *msg, void *ud) {
	CHECK(ud == &logs, "log user_data %p", ud);
	CHECK(level >= MINIAV_LOG_LEVEL_TRACE && level <= MINIAV_LOG_LEVEL_ERROR, "log level %d", level);
	atomic_fetch_add(&logs, 1);
	if (getenv("MINIAVC_PRINT_LOGS") != NULL) {
		fprintf(stderr, "log %d: %s\n", level, msg);
	}
	if (strstr(msg, "nosuch:device") != NULL) {
		atomic_fetch_add(&logs_with_id, 1);
	}
	if (strstr(msg, "counted as leaked") != NULL) {
		atomic_fetch_add(&logs_leaked, 1);
	}
	MiniAV_Free((void *)msg);
}

static void test_camera(void) {
	MiniAVDeviceInfo *devs = NULL;
	uint32_t n = 0;
	RC(MiniAV_Camera_EnumerateDevices(&devs, &n), MINIAV_SUCCESS);
	int i = find(devs, n, "testsrc:camera");
	CHECK(i >= 0, "testsrc:camera not among %u cameras", n);
	if (i >= 0) {
		CHECK(strcmp(devs[i].name, "Test pattern camera") == 0, "name %s", devs[i].name);
	}
#ifdef MINIAVC_ASAN_CANARY
	/* One byte past the list the library allocated: AddressSanitizer must
	 * stop here, or it is not watching the library's allocations. */
	printf("canary %d\n", ((volatile char *)devs)[n * sizeof *devs]);
#endif
	RC(MiniAV_FreeDeviceList(devs, n), MINIAV_SUCCESS);
	RC(MiniAV_Camera_EnumerateDevices(NULL, &n), MINIAV_ERROR_INVALID_ARG);

	MiniAVVideoInfo *fmts = NULL;
	uint32_t nf = 0;
	RC(MiniAV_Camera_GetSupportedFormats("testsrc:camera", &fmts, &nf), MINIAV_SUCCESS);
	int i420 = 0, bad = 0;
	for (uint32_t j = 0; j < nf; j++) {
		if (fmts[j].pixel_format == MINIAV_PIXEL_FORMAT_I420 && fmts[j].width == 640 && fmts[j].height == 480) {
			i420++;
		}
		if (fmts[j].pixel_format <= MINIAV_PIXEL_FORMAT_UNKNOWN || fmts[j].pixel_format >= MINIAV_PIXEL_FORMAT_COUNT ||
		    fmts[j].frame_rate_denominator == 0) {
			bad++;
		}
	}
	CHECK(nf >= 10 && i420 > 0 && bad == 0, "%u formats, %d I420 640x480, %d bad", nf, i420, bad);
	RC(MiniAV_FreeFormatList(fmts, nf), MINIAV_SUCCESS);
	RC(MiniAV_Camera_GetSupportedFormats("nosuch:device", &fmts, &nf), MINIAV_ERROR_DEVICE_NOT_FOUND);
	RC(MiniAV_Camera_GetSupportedFormats(NULL, &fmts, &nf), MINIAV_ERROR_INVALID_ARG);

	MiniAVVideoInfo def;
	memset(&def, 0xff, sizeof def);
	RC(MiniAV_Camera_GetDefaultFormat("testsrc:camera", &def), MINIAV_SUCCESS);
	CHECK(def.width == 640 && def.height == 480 && def.pixel_format == MINIAV_PIXEL_FORMAT_I420 &&
	          def.frame_rate_numerator == 30 && def.frame_rate_denominator == 1 &&
	          def.output_preference == MINIAV_OUTPUT_PREFERENCE_CPU,
	      "default %ux%u pf %d %u/%u", def.width, def.height, def.pixel_format, def.frame_rate_numerator,
	      def.frame_rate_denominator);
	RC(MiniAV_Camera_GetDefaultFormat("testsrc:screen", &def), MINIAV_ERROR_DEVICE_NOT_FOUND); /* not a camera */

	MiniAVCameraContextHandle cam = NULL;
	RC(MiniAV_Camera_CreateContext(&cam), MINIAV_SUCCESS);
	CHECK(cam != NULL, "no context");
	RC(MiniAV_Camera_CreateContext(NULL), MINIAV_ERROR_INVALID_ARG);
	RC(MiniAV_Camera_StartCapture(cam, on_buffer, NULL), MINIAV_ERROR_NOT_CONFIGURED);
	/* Properties (miniav_ext.h): testsrc has no controls. */
	MiniAVPropertyInfo *props = (MiniAVPropertyInfo *)1;
	uint32_t nprops = 5;
	int64_t pv;
	RC(MiniAV_Camera_GetPropertyInfo(cam, &props, &nprops), MINIAV_ERROR_NOT_CONFIGURED);
	CHECK(props == NULL && nprops == 0, "property list of an unconfigured context");
	RC(MiniAV_Camera_GetPropertyInfo(cam, NULL, &nprops), MINIAV_ERROR_INVALID_ARG);
	RC(MiniAV_Camera_GetProperty(NULL, 1, &pv), MINIAV_ERROR_INVALID_HANDLE);
	RC(MiniAV_Camera_SetProperty(cam, 1, 0), MINIAV_ERROR_NOT_CONFIGURED);
	MiniAVVideoInfo got;
	RC(MiniAV_Camera_GetConfiguredFormat(cam, &got), MINIAV_ERROR_NOT_CONFIGURED);
	MiniAVVideoInfo want = {320, 240, MINIAV_PIXEL_FORMAT_I420, 100, 1, MINIAV_OUTPUT_PREFERENCE_GPU};
	RC(MiniAV_Camera_Configure(cam, "nosuch:device", &want), MINIAV_ERROR_DEVICE_NOT_FOUND);
	RC(MiniAV_Camera_Configure(cam, NULL, &want), MINIAV_ERROR_INVALID_ARG);
	MiniAVVideoInfo bayer = {320, 240, MINIAV_PIXEL_FORMAT_BAYER_RGGB8, 30, 1, MINIAV_OUTPUT_PREFERENCE_CPU};
	RC(MiniAV_Camera_Configure(cam, "testsrc:camera", &bayer), MINIAV_ERROR_FORMAT_NOT_SUPPORTED);
	MiniAVVideoInfo odd = {321, 241, MINIAV_PIXEL_FORMAT_I420, 30, 1, MINIAV_OUTPUT_PREFERENCE_CPU};
	RC(MiniAV_Camera_Configure(cam, "testsrc:camera", &odd), MINIAV_ERROR_FORMAT_NOT_SUPPORTED);
	/* GPU preference: CPU buffers where no GPU handle can be given. */
	RC(MiniAV_Camera_Configure(cam, "testsrc:camera", &want), MINIAV_SUCCESS);
	RC(MiniAV_Camera_GetConfiguredFormat(cam, &got), MINIAV_SUCCESS);
	CHECK(got.width == 320 && got.height == 240 && got.pixel_format == MINIAV_PIXEL_FORMAT_I420 &&
	          got.frame_rate_numerator == 100 && got.output_preference == MINIAV_OUTPUT_PREFERENCE_GPU,
	      "configured %ux%u pf %d %u/%u pref %d", got.width, got.height, got.pixel_format, got.frame_rate_numerator,
	      got.frame_rate_denominator, got.output_preference);
	RC(MiniAV_Camera_StartCapture(cam, NULL, NULL), MINIAV_ERROR_INVALID_ARG);
	RC(MiniAV_Camera_GetPropertyInfo(cam, &props, &nprops), MINIAV_ERROR_NOT_SUPPORTED);
	RC(MiniAV_Camera_GetProperty(cam, 0x00980900u, &pv), MINIAV_ERROR_NOT_SUPPORTED);
	RC(MiniAV_Camera_SetProperty(cam, 0x00980900u, 1), MINIAV_ERROR_NOT_SUPPORTED);

	int marker;
	struct consumer c = {320, 240, MINIAV_PIXEL_FORMAT_I420, &marker, 30, 0, 0, 0, 0};
	pthread_t th;
	pthread_create(&th, NULL, consume, &c);
	RC(MiniAV_Camera_StartCapture(cam, on_buffer, &marker), MINIAV_SUCCESS);
	RC(MiniAV_Camera_StartCapture(cam, on_buffer, &marker), MINIAV_ERROR_ALREADY_RUNNING);
	RC(MiniAV_Camera_Configure(cam, "testsrc:camera", &want), MINIAV_ERROR_ALREADY_RUNNING);
	pthread_join(th, NULL);
	CHECK(c.got == 30, "consumed %d buffers", c.got);
	CHECK(c.increasing, "timestamps or frame indices did not increase");
	CHECK(atomic_load(&callback_thread) != (uintptr_t)pthread_self(), "callback on the caller's thread");
	RC(MiniAV_Camera_StopCapture(cam), MINIAV_SUCCESS);
	int after = atomic_load(&callbacks);
	sleep_ms(100);
	CHECK(atomic_load(&callbacks) == after, "%d callbacks after StopCapture returned", atomic_load(&callbacks) - after);
	drain();
	RC(MiniAV_Camera_StopCapture(cam), MINIAV_ERROR_NOT_RUNNING);

	/* Restart; hold buffers across stop and destroy: they stay valid. */
	RC(MiniAV_Camera_StartCapture(cam, on_buffer, &marker), MINIAV_SUCCESS);
	const MiniAVBuffer *held[2] = {pop(), pop()};
	RC(MiniAV_Camera_StopCapture(cam), MINIAV_SUCCESS);
	drain();
	RC(MiniAV_Camera_DestroyContext(cam), MINIAV_SUCCESS);
	for (int j = 0; j < 2; j++) {
		CHECK(check_video(held[j], 320, 240, MINIAV_PIXEL_FORMAT_I420, &marker) >= 0, "held buffer %d", j);
		RC(MiniAV_ReleaseBuffer(held[j]->internal_handle), MINIAV_SUCCESS);
	}
	/* A destroyed context, and another module's, are invalid handles. */
	RC(MiniAV_Camera_StartCapture(cam, on_buffer, NULL), MINIAV_ERROR_INVALID_HANDLE);
	RC(MiniAV_Camera_DestroyContext(cam), MINIAV_ERROR_INVALID_HANDLE);
	RC(MiniAV_Camera_DestroyContext(NULL), MINIAV_ERROR_INVALID_HANDLE);
	MiniAVScreenContextHandle scr = NULL;
	RC(MiniAV_Screen_CreateContext(&scr), MINIAV_SUCCESS);
	RC(MiniAV_Camera_StopCapture((MiniAVCameraContextHandle)scr), MINIAV_ERROR_INVALID_HANDLE);
	RC(MiniAV_Screen_DestroyContext(scr), MINIAV_SUCCESS);
}

/* Backpressure: a consumer that keeps every buffer makes the source drop;
 * what is delivered stays bounded. */
static void test_backpressure(void) {
	MiniAVCameraContextHandle cam;
	RC(MiniAV_Camera_CreateContext(&cam), MINIAV_SUCCESS);
	MiniAVVideoInfo f = {64, 48, MINIAV_PIXEL_FORMAT_I420, 200, 1, MINIAV_OUTPUT_PREFERENCE_CPU};
	RC(MiniAV_Camera_Configure(cam, "testsrc:camera", &f), MINIAV_SUCCESS);
	int before = atomic_load(&callbacks);
	RC(MiniAV_Camera_StartCapture(cam, on_buffer, NULL), MINIAV_SUCCESS);
	sleep_ms(500); /* 100 frames due */
	int held = atomic_load(&callbacks) - before;
	sleep_ms(300);
	int more = atomic_load(&callbacks) - before - held;
	CHECK(held > 0 && held < 40 && more == 0, "%d buffers delivered while none was released, %d more after", held, more);
	drain(); /* released: delivery resumes */
	sleep_ms(200);
	CHECK(atomic_load(&callbacks) - before > held, "no buffers after releasing");
	RC(MiniAV_Camera_StopCapture(cam), MINIAV_SUCCESS);
	drain();
	RC(MiniAV_Camera_DestroyContext(cam), MINIAV_SUCCESS);
	printf("backpressure: %d buffers held, then 0 delivered for 300 ms\n", held);
}

/* StopCapture from inside the buffer callback returns without waiting for
 * the callback's own thread. */
static MiniAVCameraContextHandle stop_cam;
static atomic_int stop_rc = 1, stop_calls;

static void stop_inside(const MiniAVBuffer *b, void *ud) {
	(void)ud;
	if (atomic_fetch_add(&stop_calls, 1) == 0) {
		atomic_store(&stop_rc, MiniAV_Camera_StopCapture(stop_cam));
	}
	MiniAV_ReleaseBuffer(b->internal_handle);
}

static void test_stop_inside(void) {
	RC(MiniAV_Camera_CreateContext(&stop_cam), MINIAV_SUCCESS);
	MiniAVVideoInfo f = {64, 48, MINIAV_PIXEL_FORMAT_I420, 100, 1, MINIAV_OUTPUT_PREFERENCE_CPU};
	RC(MiniAV_Camera_Configure(stop_cam, "testsrc:camera", &f), MINIAV_SUCCESS);
	RC(MiniAV_Camera_StartCapture(stop_cam, stop_inside, NULL), MINIAV_SUCCESS);
	for (int i = 0; i < 200 && atomic_load(&stop_rc) == 1; i++) {
		sleep_ms(10);
	}
	CHECK(atomic_load(&stop_rc) == MINIAV_SUCCESS, "StopCapture inside the callback: %d", atomic_load(&stop_rc));
	sleep_ms(100);
	int n = atomic_load(&stop_calls);
	sleep_ms(100);
	CHECK(atomic_load(&stop_calls) == n, "callbacks after the stop inside one");
	RC(MiniAV_Camera_StopCapture(stop_cam), MINIAV_ERROR_NOT_RUNNING);
	RC(MiniAV_Camera_DestroyContext(stop_cam), MINIAV_SUCCESS);
}

/* Dispose stops dispatch; EnableCallbacks (and every StartCapture) resumes it. */
static void test_dispose(void) {
	MiniAVCameraContextHandle cam;
	RC(MiniAV_Camera_CreateContext(&cam), MINIAV_SUCCESS);
	MiniAVVideoInfo f = {64, 48, MINIAV_PIXEL_FORMAT_I420, 100, 1, MINIAV_OUTPUT_PREFERENCE_CPU};
	RC(MiniAV_Camera_Configure(cam, "testsrc:camera", &f), MINIAV_SUCCESS);
	RC(MiniAV_Camera_StartCapture(cam, on_buffer, NULL), MINIAV_SUCCESS);
	sleep_ms(100);
	RC(MiniAV_Dispose(), MINIAV_SUCCESS);
	drain(); /* what was delivered before stays valid and is released */
	int n = atomic_load(&callbacks);
	sleep_ms(150);
	CHECK(atomic_load(&callbacks) == n, "%d callbacks after MiniAV_Dispose", atomic_load(&callbacks) - n);
	RC(MiniAV_EnableCallbacks(), MINIAV_SUCCESS);
	sleep_ms(150);
	CHECK(atomic_load(&callbacks) > n, "no callbacks after MiniAV_EnableCallbacks");
	drain();
	RC(MiniAV_Camera_StopCapture(cam), MINIAV_SUCCESS);
	drain();
	RC(MiniAV_Camera_DestroyContext(cam), MINIAV_SUCCESS);
}

/* The context-lost callback fires with DEVICE_LOST when the device goes. */
static atomic_int lost_reason = 1;

static void on_lost(int reason, void *ud) {
	CHECK(ud == &lost_reason, "lost user_data");
	atomic_store(&lost_reason, reason);
}

static void test_lost(void) {
	MiniAVCameraContextHandle cam;
	RC(MiniAV_Camera_CreateContext(&cam), MINIAV_SUCCESS);
	RC(MiniAV_Camera_SetContextLostCallback(cam, on_lost, &lost_reason), MINIAV_SUCCESS);
	MiniAVVideoInfo f = {64, 48, MINIAV_PIXEL_FORMAT_I420, 10, 1, MINIAV_OUTPUT_PREFERENCE_CPU};
	RC(MiniAV_Camera_Configure(cam, "testsrc:camera?lose=5", &f), MINIAV_SUCCESS);
	int before = atomic_load(&callbacks);
	RC(MiniAV_Camera_StartCapture(cam, on_buffer, NULL), MINIAV_SUCCESS);
	for (int i = 0; i < 300 && atomic_load(&lost_reason) == 1; i++) {
		sleep_ms(10);
	}
	CHECK(atomic_load(&lost_reason) == MINIAV_ERROR_DEVICE_LOST, "lost reason %d", atomic_load(&lost_reason));
	/* The device delivers 5 frames; a dispatcher stalled for 400 ms by a
	 * loaded machine may see the queue drop one. */
	int got = atomic_load(&callbacks) - before;
	CHECK(got >= 1 && got <= 5, "%d buffers before the loss, want 1 to 5", got);
	sleep_ms(300);
	CHECK(atomic_load(&callbacks) - before == got, "buffers after the context was lost");
	drain();
	RC(MiniAV_Camera_StopCapture(cam), MINIAV_ERROR_NOT_RUNNING);
	RC(MiniAV_Camera_DestroyContext(cam), MINIAV_SUCCESS);
}

/* Audio: testsrc:microphone's sine tone, by callback and by the buffered
 * (pull) path. */
static atomic_int audio_buffers, audio_bad;

static void on_audio(const MiniAVBuffer *b, void *ud) {
	(void)ud;
	const float *s = b->data.audio.data;
	int ok = b->type == MINIAV_BUFFER_TYPE_AUDIO && b->content_type == MINIAV_BUFFER_CONTENT_TYPE_CPU &&
	         b->data.audio.frame_count == 480 && b->data.audio.info.num_frames == 480 &&
	         b->data.audio.info.format == MINIAV_AUDIO_FORMAT_F32 && b->data.audio.info.sample_rate == 48000 &&
	         b->data.audio.info.channels == 2 && b->data_size_bytes == 480 * 2 * 4 && s != NULL;
	float peak = 0;
	for (uint32_t i = 0; ok && i < 480 * 2; i++) {
		peak = fabsf(s[i]) > peak ? fabsf(s[i]) : peak;
	}
	if (!ok || peak < 0.1f || peak > 1.0f) {
		atomic_fetch_add(&audio_bad, 1);
		fprintf(stderr, "audio buffer: type %d frames %u/%u fmt %d rate %u ch %u size %zu peak %f\n", b->type,
		        b->data.audio.frame_count, b->data.audio.info.num_frames, b->data.audio.info.format,
		        b->data.audio.info.sample_rate, b->data.audio.info.channels, b->data_size_bytes, peak);
	}
	atomic_fetch_add(&audio_buffers, 1);
	MiniAV_ReleaseBuffer(b->internal_handle);
}

static void test_audio(void) {
	MiniAVDeviceInfo *devs = NULL;
	uint32_t n = 0;
	RC(MiniAV_Audio_EnumerateDevices(&devs, &n), MINIAV_SUCCESS);
	CHECK(find(devs, n, "testsrc:microphone") >= 0, "testsrc:microphone not among %u", n);
	MiniAV_FreeDeviceList(devs, n);
	MiniAVAudioInfo *fmts = NULL;
	uint32_t nf = 0;
	RC(MiniAV_Audio_GetSupportedFormats("testsrc:microphone", &fmts, &nf), MINIAV_SUCCESS);
	CHECK(nf >= 2 && fmts[0].sample_rate > 0 && fmts[0].channels > 0, "%u formats", nf);
	MiniAV_FreeFormatList(fmts, nf);
	MiniAVAudioInfo def;
	RC(MiniAV_Audio_GetDefaultFormat("testsrc:microphone", &def), MINIAV_SUCCESS);
	CHECK(def.format == MINIAV_AUDIO_FORMAT_S16 && def.sample_rate == 48000 && def.channels == 1 && def.num_frames == 480,
	      "default fmt %d %u Hz %u ch %u frames", def.format, def.sample_rate, def.channels, def.num_frames);

	MiniAVAudioContextHandle ac;
	RC(MiniAV_Audio_CreateContext(&ac), MINIAV_SUCCESS);
	MiniAVAudioInfo want = {MINIAV_AUDIO_FORMAT_F32, 48000, 2, 480};
	RC(MiniAV_Audio_Configure(ac, "testsrc:microphone", &want), MINIAV_SUCCESS);
	MiniAVAudioInfo got;
	RC(MiniAV_Audio_GetConfiguredFormat(ac, &got), MINIAV_SUCCESS);
	CHECK(got.format == want.format && got.sample_rate == 48000 && got.channels == 2 && got.num_frames == 480,
	      "configured fmt %d %u Hz %u ch %u frames", got.format, got.sample_rate, got.channels, got.num_frames);
	RC(MiniAV_Audio_StartCapture(ac, on_audio, NULL), MINIAV_SUCCESS);
	for (int i = 0; i < 200 && atomic_load(&audio_buffers) < 10; i++) {
		sleep_ms(10);
	}
	RC(MiniAV_Audio_StopCapture(ac), MINIAV_SUCCESS);
	CHECK(atomic_load(&audio_buffers) >= 10 && atomic_load(&audio_bad) == 0, "%d audio buffers, %d bad",
	      atomic_load(&audio_buffers), atomic_load(&audio_bad));
	RC(MiniAV_Audio_DestroyContext(ac), MINIAV_SUCCESS);

	/* The pull path, as MiniAV's web build uses it. */
	MiniAVAudioContextHandle pc = MiniAV_Audio_CreateContextRet();
	CHECK(pc != NULL, "CreateContextRet returned NULL");
	RC(MiniAV_Audio_EnableBufferedCapture(pc, 4800), MINIAV_ERROR_NOT_CONFIGURED);
	CHECK(MiniAV_Audio_ReadFrames(pc, NULL, 0) == MINIAV_ERROR_NOT_CONFIGURED, "ReadFrames before Enable");
	RC(MiniAV_Audio_Configure(pc, "testsrc:microphone", &(MiniAVAudioInfo){MINIAV_AUDIO_FORMAT_S16, 48000, 1, 480}),
	   MINIAV_SUCCESS);
	RC(MiniAV_Audio_EnableBufferedCapture(pc, 4800), MINIAV_SUCCESS);
	RC(MiniAV_Audio_StartCapture(pc, NULL, NULL), MINIAV_SUCCESS);
	for (int i = 0; i < 200 && MiniAV_Audio_GetAvailableFrames(pc) < 2400; i++) {
		sleep_ms(10);
	}
	static float pcm[4800];
	int got_frames = MiniAV_Audio_ReadFrames(pc, pcm, 4800);
	RC(MiniAV_Audio_StopCapture(pc), MINIAV_SUCCESS);
	/* 440 Hz: 2 zero crossings per period, 44 per 2400 frames at 48 kHz. */
	int crossings = 0;
	float peak = 0;
	for (int i = 1; i < got_frames && i < 2400; i++) {
		crossings += (pcm[i - 1] < 0) != (pcm[i] < 0);
		peak = fabsf(pcm[i]) > peak ? fabsf(pcm[i]) : peak;
	}
	CHECK(got_frames >= 2400 && crossings >= 42 && crossings <= 46 && peak > 0.1f && peak <= 1.0f,
	      "read %d frames, %d zero crossings in 2400, peak %f", got_frames, crossings, peak);
	RC(MiniAV_Audio_DestroyContext(pc), MINIAV_SUCCESS);
	printf("audio: %d callback buffers; pull: %d frames, %d zero crossings in 50 ms\n", atomic_load(&audio_buffers),
	       got_frames, crossings);
}

/* The X display's content the test painted: MINIAV_TEST_X11_SCENE holds
 * "x0,y0,x1,y1,rrggbb" rectangles, painted in that order on the root. */
static struct {
	int n;
	int r[16][4];
	uint32_t rgb[16];
} scene;

static void load_scene(void) {
	const char *s = getenv("MINIAV_TEST_X11_SCENE");
	if (s == NULL) {
		fprintf(stderr, "MINIAV_TEST_X11_SCENE must be set\n");
		exit(2);
	}
	int k;
	while (scene.n < 16 && sscanf(s, " %d,%d,%d,%d,%x%n", &scene.r[scene.n][0], &scene.r[scene.n][1], &scene.r[scene.n][2],
	                              &scene.r[scene.n][3], &scene.rgb[scene.n], &k) == 5) {
		scene.n++, s += k;
	}
	if (scene.n == 0) {
		fprintf(stderr, "bad MINIAV_TEST_X11_SCENE\n");
		exit(2);
	}
}

/* check_scene compares every pixel of a BGRX buffer showing the display
 * from (ox, oy) with the painted scene. */
static void check_scene(const MiniAVBuffer *b, int ox, int oy) {
	const MiniAVVideoPlane *p = &b->data.video.planes[0];
	uint32_t w = b->data.video.info.width, h = b->data.video.info.height;
	long bad = 0;
	for (uint32_t y = 0; y < h; y++) {
		const uint8_t *row = (const uint8_t *)p->data_ptr + (size_t)y * p->stride_bytes;
		for (uint32_t x = 0; x < w; x++) {
			int X = ox + (int)x, Y = oy + (int)y;
			uint32_t want = 0;
			for (int i = scene.n - 1; i >= 0; i--) {
				if (X >= scene.r[i][0] && Y >= scene.r[i][1] && X < scene.r[i][2] && Y < scene.r[i][3]) {
					want = scene.rgb[i];
					break;
				}
			}
			uint32_t got = (uint32_t)row[4 * x + 2] << 16 | (uint32_t)row[4 * x + 1] << 8 | row[4 * x];
			if (got != want && bad++ == 0) {
				CHECK(got == want, "pixel (%d,%d) is %06x, painted %06x", X, Y, got, want);
			}
		}
	}
	CHECK(bad == 0, "%ld of %u pixels differ from the painted scene", bad, w * h);
}

/* Screen: testsrc:screen's pattern in BGRX, or the X display. */
static void test_screen(const char *display) {
	MiniAVDeviceInfo *devs = NULL;
	uint32_t n = 0;
	RC(MiniAV_Screen_EnumerateDisplays(&devs, &n), MINIAV_SUCCESS);
	CHECK(find(devs, n, display) >= 0, "%s not among %u displays", display, n);
	MiniAV_FreeDeviceList(devs, n);
	RC(MiniAV_Screen_EnumerateWindows(&devs, &n), MINIAV_SUCCESS);
	MiniAV_FreeDeviceList(devs, n);

	MiniAVVideoInfo v;
	MiniAVAudioInfo a;
	RC(MiniAV_Screen_GetDefaultFormats(display, &v, &a), MINIAV_SUCCESS);
	CHECK(v.width == 1920 && v.height == 1080 && v.pixel_format == MINIAV_PIXEL_FORMAT_BGRX32, "default %ux%u pf %d",
	      v.width, v.height, v.pixel_format);

	MiniAVScreenContextHandle sc;
	RC(MiniAV_Screen_CreateContext(&sc), MINIAV_SUCCESS);
	RC(MiniAV_Screen_SetCaptureCursor(sc, false), MINIAV_SUCCESS);
	RC(MiniAV_Screen_ConfigureDisplay(sc, "nosuch:device", NULL, false), MINIAV_ERROR_DEVICE_NOT_FOUND);
	RC(MiniAV_Screen_ConfigureWindow(sc, display, NULL, false), MINIAV_ERROR_DEVICE_NOT_FOUND); /* a display */
	RC(MiniAV_Screen_ConfigureRegion(sc, display, 0, 0, 0, 10, NULL, false), MINIAV_ERROR_INVALID_ARG);
	int is_x11 = strncmp(display, "x11:", 4) == 0;
	if (is_x11) {
		RC(MiniAV_Screen_ConfigureRegion(sc, display, 100, 50, 640, 480, NULL, false), MINIAV_SUCCESS);
		RC(MiniAV_Screen_GetConfiguredFormats(sc, &v, &a), MINIAV_SUCCESS);
		CHECK(v.width == 640 && v.height == 480, "region format %ux%u", v.width, v.height);
		RC(MiniAV_Screen_StartCapture(sc, on_buffer, &v), MINIAV_SUCCESS);
		for (int i = 0; i < 2; i++) {
			const MiniAVBuffer *b = pop();
			CHECK(b->data.video.info.width == 640 && b->data.video.info.height == 480, "region buffer %ux%u",
			      b->data.video.info.width, b->data.video.info.height);
			check_scene(b, 100, 50);
			RC(MiniAV_ReleaseBuffer(b->internal_handle), MINIAV_SUCCESS);
		}
		RC(MiniAV_Screen_StopCapture(sc), MINIAV_SUCCESS);
		drain();
		RC(MiniAV_Screen_ConfigureRegion(sc, display, 1900, 0, 100, 100, NULL, false), MINIAV_ERROR_INVALID_ARG);
	}
	MiniAVVideoInfo want = {is_x11 ? 0 : 640, is_x11 ? 0 : 360, MINIAV_PIXEL_FORMAT_BGRX32, 30, 1,
	                        MINIAV_OUTPUT_PREFERENCE_CPU};
	RC(MiniAV_Screen_ConfigureDisplay(sc, display, &want, false), MINIAV_SUCCESS);
	RC(MiniAV_Screen_GetConfiguredFormats(sc, &v, &a), MINIAV_SUCCESS);
	uint32_t w = is_x11 ? 1920 : 640, h = is_x11 ? 1080 : 360;
	CHECK(v.width == w && v.height == h && v.pixel_format == MINIAV_PIXEL_FORMAT_BGRX32, "configured %ux%u pf %d",
	      v.width, v.height, v.pixel_format);
	int before = atomic_load(&callbacks);
	RC(MiniAV_Screen_StartCapture(sc, on_buffer, &want), MINIAV_SUCCESS);
	for (int i = 0; i < 3; i++) {
		const MiniAVBuffer *b = pop();
		if (is_x11) {
			const MiniAVVideoPlane *p = &b->data.video.planes[0];
			CHECK(b->type == MINIAV_BUFFER_TYPE_VIDEO && b->data.video.info.width == w && b->data.video.info.height == h &&
			          b->data.video.info.pixel_format == MINIAV_PIXEL_FORMAT_BGRX32 && p->stride_bytes >= 4 * w &&
			          p->data_ptr != NULL && b->data_size_bytes >= (size_t)p->stride_bytes * (h - 1) + 4 * w,
			      "x11 buffer %ux%u pf %d stride %u size %zu", b->data.video.info.width, b->data.video.info.height,
			      b->data.video.info.pixel_format, p->stride_bytes, b->data_size_bytes);
			CHECK(b->user_data == &want, "user_data");
			check_scene(b, 0, 0);
		} else {
			check_video(b, w, h, MINIAV_PIXEL_FORMAT_BGRX32, &want);
		}
		RC(MiniAV_ReleaseBuffer(b->internal_handle), MINIAV_SUCCESS);
	}
	RC(MiniAV_Screen_StopCapture(sc), MINIAV_SUCCESS);
	drain();
	CHECK(atomic_load(&callbacks) - before >= 3, "screen callbacks");
	RC(MiniAV_Screen_DestroyContext(sc), MINIAV_SUCCESS);
	RC(MiniAV_Screen_SetAndroidMediaProjection(NULL, NULL), MINIAV_ERROR_NOT_SUPPORTED);
	RC(MiniAV_Screen_SetIOSAppGroup("group.x"), MINIAV_ERROR_NOT_SUPPORTED);
}

static void test_loopback(void) {
	MiniAVDeviceInfo *devs = (MiniAVDeviceInfo *)1;
	uint32_t n = 7;
	RC(MiniAV_Loopback_EnumerateTargets(MINIAV_LOOPBACK_TARGET_SYSTEM_AUDIO, &devs, &n), MINIAV_SUCCESS);
	MiniAV_FreeDeviceList(devs, n);
	RC(MiniAV_Loopback_EnumerateTargets(MINIAV_LOOPBACK_TARGET_PROCESS, &devs, &n), MINIAV_ERROR_NOT_SUPPORTED);
	CHECK(devs == NULL && n == 0, "list of an unsupported filter");
	MiniAVLoopbackContextHandle lc;
	RC(MiniAV_Loopback_CreateContext(&lc), MINIAV_SUCCESS);
	RC(MiniAV_Loopback_Configure(lc, "testsrc:microphone", NULL), MINIAV_ERROR_DEVICE_NOT_FOUND); /* not a loopback */
	RC(MiniAV_Loopback_StartCapture(lc, on_audio, NULL), MINIAV_ERROR_NOT_CONFIGURED);
	RC(MiniAV_Loopback_DestroyContext(lc), MINIAV_SUCCESS);
}

/* Input capture, injection and audio output: not supported, and harmless. */
static void test_unsupported(void) {
	MiniAVInputContextHandle in = (MiniAVInputContextHandle)1;
	RC(MiniAV_Input_CreateContext(&in), MINIAV_ERROR_NOT_SUPPORTED);
	CHECK(in == NULL, "input context %p", (void *)in);
	MiniAVInputConfig cfg = {0};
	RC(MiniAV_Input_Configure(in, &cfg), MINIAV_ERROR_NOT_SUPPORTED);
	RC(MiniAV_Input_StartCapture(in), MINIAV_ERROR_NOT_SUPPORTED);
	MiniAVMotionEvent mev;
	RC(MiniAV_Input_GetLatestMotion(in, &mev), MINIAV_ERROR_NOT_SUPPORTED);
	MiniAVDeviceInfo *devs = (MiniAVDeviceInfo *)1;
	uint32_t n = 3;
	RC(MiniAV_Input_EnumerateGamepads(&devs, &n), MINIAV_ERROR_NOT_SUPPORTED);
	CHECK(devs == NULL && n == 0, "gamepad list");
	MiniAVInjectContextHandle inj = NULL;
	RC(MiniAV_Inject_CreateContext(&inj), MINIAV_ERROR_NOT_SUPPORTED);
	MiniAVKeyboardEvent kev = {0};
	RC(MiniAV_Inject_Keyboard(inj, &kev), MINIAV_ERROR_NOT_SUPPORTED);
	MiniAVAudioOutputContextHandle out = MiniAV_AudioOutput_CreateContext();
	CHECK(out == NULL, "audio output context %p", (void *)out);
	float pcm[8] = {0};
	CHECK(MiniAV_AudioOutput_WriteFrames(out, pcm, 4) == MINIAV_ERROR_NOT_SUPPORTED, "WriteFrames");
	CHECK(MiniAV_AudioOutput_IsStarted(out) == 0 && MiniAV_AudioOutput_GetBufferedFrames(out) == 0, "output state");
	RC(MiniAV_AudioOutput_Start(out), MINIAV_ERROR_NOT_SUPPORTED);
}

/* Device changes: the test backend "cabitest" lists the lines of the file
 * $MINIAV_CABITEST_DEVICES; plugging is rewriting it. */
static struct {
	pthread_mutex_t mu;
	int n;
	MiniAVDeviceChangeEvent ev[16];
	const MiniAVDeviceInfo *dev[16];
} changes = {PTHREAD_MUTEX_INITIALIZER, 0, {0}, {0}};

static void on_device(MiniAVDeviceChangeEvent ev, const MiniAVDeviceInfo *d, void *ud) {
	CHECK(ud == &changes, "device change user_data");
	pthread_mutex_lock(&changes.mu);
	if (changes.n < 16) {
		changes.ev[changes.n] = ev, changes.dev[changes.n] = d; /* read later, as Dart's listeners do */
		changes.n++;
	}
	pthread_mutex_unlock(&changes.mu);
}

static void plug(const char *lines) {
	const char *path = getenv("MINIAV_CABITEST_DEVICES");
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	fputs(lines, f);
	fclose(f);
	rename(tmp, path);
}

static int wait_changes(int n) {
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&changes.mu);
		int got = changes.n;
		pthread_mutex_unlock(&changes.mu);
		if (got >= n) {
			return got;
		}
		sleep_ms(10);
	}
	return changes.n;
}

static void test_device_change(void) {
	if (getenv("MINIAV_CABITEST_DEVICES") == NULL) {
		CHECK(0, "MINIAV_CABITEST_DEVICES is not set");
		return;
	}
	plug("");
	RC(MiniAV_Camera_SetDeviceChangeCallback(on_device, NULL), MINIAV_SUCCESS);
	RC(MiniAV_Camera_SetDeviceChangeCallback(on_device, &changes), MINIAV_SUCCESS); /* replaces */
	RC(MiniAV_Audio_SetDeviceChangeCallback(on_device, &changes), MINIAV_SUCCESS);
	plug("camera cam1 Hot-plug camera\n");
	int n = wait_changes(1);
	plug("microphone mic1 Hot-plug microphone\n"); /* cam1 goes, mic1 comes */
	n = wait_changes(3);
	sleep_ms(100); /* nothing else may come */
	pthread_mutex_lock(&changes.mu);
	n = changes.n;
	int cam_added = 0, cam_removed = 0, mic_added = 0;
	for (int i = 0; i < n; i++) {
		const MiniAVDeviceInfo *d = changes.dev[i];
		if (changes.ev[i] == MINIAV_DEVICE_CHANGE_ADDED && strcmp(d->device_id, "cabitest:cam1") == 0 &&
		    strcmp(d->name, "Hot-plug camera") == 0) {
			cam_added++;
		} else if (changes.ev[i] == MINIAV_DEVICE_CHANGE_REMOVED && strcmp(d->device_id, "cabitest:cam1") == 0) {
			cam_removed++;
		} else if (changes.ev[i] == MINIAV_DEVICE_CHANGE_ADDED && strcmp(d->device_id, "cabitest:mic1") == 0) {
			mic_added++;
		}
	}
	pthread_mutex_unlock(&changes.mu);
	CHECK(n == 3 && cam_added == 1 && cam_removed == 1 && mic_added == 1,
	      "%d events: camera added %d removed %d, microphone added %d", n, cam_added, cam_removed, mic_added);
	RC(MiniAV_Camera_SetDeviceChangeCallback(NULL, NULL), MINIAV_SUCCESS);
	RC(MiniAV_Audio_SetDeviceChangeCallback(NULL, NULL), MINIAV_SUCCESS);
	plug("camera cam2\n");
	sleep_ms(300);
	CHECK(changes.n == n, "%d events after unsubscribing", changes.n - n);
	printf("device changes: %d events (camera added and removed, microphone added), none after unsubscribing\n", n);
}

/* With a private PulseAudio playing a tone into its default output and into
 * the microphone's sink: loopback and microphone capture hear the tone, and
 * screen capture with capture_audio delivers the loopback's audio buffers to
 * the same callback as the video. */
static struct {
	atomic_int buffers, bad, video, audio;
	atomic_int crossings, measured;
	float peak, last; /* last: the last sample of the previous buffer */
	MiniAVAudioFormat format;
} tone;

static void on_tone(const MiniAVBuffer *b, void *ud) {
	(void)ud;
	if (b->type == MINIAV_BUFFER_TYPE_VIDEO) {
		atomic_fetch_add(&tone.video, 1);
		MiniAV_ReleaseBuffer(b->internal_handle);
		return;
	}
	atomic_fetch_add(&tone.audio, 1);
	const MiniAVAudioInfo *in = &b->data.audio.info;
	uint32_t frames = b->data.audio.frame_count;
	int ok = b->type == MINIAV_BUFFER_TYPE_AUDIO && frames > 0 && in->num_frames == frames &&
	         in->format == tone.format && in->channels == 2 && in->sample_rate == 48000 &&
	         b->data_size_bytes == (size_t)frames * 2 * (in->format == MINIAV_AUDIO_FORMAT_F32 ? 4 : 2) &&
	         b->data.audio.data != NULL;
	if (!ok) {
		atomic_fetch_add(&tone.bad, 1);
		fprintf(stderr, "tone buffer: type %d frames %u/%u fmt %d %u Hz %u ch size %zu\n", b->type, frames,
		        in->num_frames, in->format, in->sample_rate, in->channels, b->data_size_bytes);
	} else if (atomic_fetch_add(&tone.buffers, 1) >= 20 && in->format == MINIAV_AUDIO_FORMAT_F32) {
		/* past the start, where the tone may not be yet; crossings between
		 * buffers count too */
		const float *s = b->data.audio.data;
		int c = 0;
		for (uint32_t i = 0; i < frames; i++) {
			c += (tone.last < 0) != (s[2 * i] < 0);
			tone.last = s[2 * i];
			tone.peak = fabsf(s[2 * i]) > tone.peak ? fabsf(s[2 * i]) : tone.peak;
		}
		atomic_fetch_add(&tone.crossings, c);
		atomic_fetch_add(&tone.measured, (int)frames);
	}
	MiniAV_ReleaseBuffer(b->internal_handle);
}

static void reset_tone(void) {
	atomic_store(&tone.buffers, 0), atomic_store(&tone.bad, 0), atomic_store(&tone.video, 0);
	atomic_store(&tone.audio, 0), atomic_store(&tone.crossings, 0), atomic_store(&tone.measured, 0);
	tone.peak = 0, tone.last = 0, tone.format = MINIAV_AUDIO_FORMAT_F32;
}

/* check_tone: freq Hz is 2*freq zero crossings a second. */
static void check_tone(const char *what, int freq) {
	int m = atomic_load(&tone.measured), c = atomic_load(&tone.crossings);
	double want = 2.0 * freq * m / 48000;
	CHECK(atomic_load(&tone.bad) == 0 && m >= 4800 && fabs(c - want) <= want * 0.02 + 4 && tone.peak > 0.1f,
	      "%s: %d bad buffers, %d frames measured, %d zero crossings (want %.0f), peak %f", what, atomic_load(&tone.bad),
	      m, c, want, tone.peak);
	printf("%s: %d buffers, %d zero crossings in %d frames (%.0f expected), peak %.2f\n", what,
	       atomic_load(&tone.buffers), c, m, want, tone.peak);
}

static void wait_measured(int frames) {
	for (int i = 0; i < 500 && atomic_load(&tone.measured) < frames; i++) {
		sleep_ms(10);
	}
}

static void test_pulse(int freq) {
	MiniAVDeviceInfo *devs = NULL;
	uint32_t n = 0;
	RC(MiniAV_Loopback_EnumerateTargets(MINIAV_LOOPBACK_TARGET_SYSTEM_AUDIO, &devs, &n), MINIAV_SUCCESS);
	int found = -1;
	for (uint32_t i = 0; i < n; i++) {
		if (strstr(devs[i].device_id, "testsink.monitor") != NULL && strncmp(devs[i].device_id, "pulse:", 6) == 0) {
			found = (int)i;
		}
	}
	CHECK(found >= 0, "no pulse:...testsink.monitor among %u loopback targets", n);
	char id[256] = "";
	if (found >= 0) {
		snprintf(id, sizeof id, "%s", devs[found].device_id);
	}
	MiniAV_FreeDeviceList(devs, n);

	MiniAVAudioInfo want = {MINIAV_AUDIO_FORMAT_F32, 48000, 2, 480}, got;
	MiniAVLoopbackContextHandle lc;
	RC(MiniAV_Loopback_CreateContext(&lc), MINIAV_SUCCESS);
	RC(MiniAV_Loopback_Configure(lc, id, &want), MINIAV_SUCCESS);
	RC(MiniAV_Loopback_GetConfiguredFormat(lc, &got), MINIAV_SUCCESS);
	CHECK(got.format == MINIAV_AUDIO_FORMAT_F32 && got.sample_rate == 48000 && got.channels == 2,
	      "loopback format %d %u Hz %u ch", got.format, got.sample_rate, got.channels);
	reset_tone();
	RC(MiniAV_Loopback_StartCapture(lc, on_tone, NULL), MINIAV_SUCCESS);
	wait_measured(24000);
	RC(MiniAV_Loopback_StopCapture(lc), MINIAV_SUCCESS);
	check_tone("loopback", freq);
	RC(MiniAV_Loopback_Configure(lc, NULL, &want), MINIAV_SUCCESS); /* the default output's monitor */
	RC(MiniAV_Loopback_DestroyContext(lc), MINIAV_SUCCESS);

	MiniAVAudioContextHandle ac;
	RC(MiniAV_Audio_CreateContext(&ac), MINIAV_SUCCESS);
	RC(MiniAV_Audio_Configure(ac, NULL, &want), MINIAV_SUCCESS); /* the default microphone: testmic */
	reset_tone();
	RC(MiniAV_Audio_StartCapture(ac, on_tone, NULL), MINIAV_SUCCESS);
	wait_measured(24000);
	RC(MiniAV_Audio_StopCapture(ac), MINIAV_SUCCESS);
	check_tone("microphone", freq);
	RC(MiniAV_Audio_DestroyContext(ac), MINIAV_SUCCESS);

	MiniAVScreenContextHandle sc;
	RC(MiniAV_Screen_CreateContext(&sc), MINIAV_SUCCESS);
	MiniAVVideoInfo v = {320, 180, MINIAV_PIXEL_FORMAT_BGRX32, 30, 1, MINIAV_OUTPUT_PREFERENCE_CPU};
	RC(MiniAV_Screen_ConfigureDisplay(sc, "testsrc:screen", &v, true), MINIAV_SUCCESS);
	MiniAVVideoInfo gv;
	RC(MiniAV_Screen_GetConfiguredFormats(sc, &gv, &got), MINIAV_SUCCESS);
	CHECK(got.sample_rate == 48000 && got.channels > 0 && got.format != MINIAV_AUDIO_FORMAT_UNKNOWN,
	      "screen audio format %d %u Hz %u ch", got.format, got.sample_rate, got.channels);
	reset_tone();
	tone.format = got.format;
	RC(MiniAV_Screen_StartCapture(sc, on_tone, NULL), MINIAV_SUCCESS);
	for (int i = 0; i < 300 && (atomic_load(&tone.video) < 5 || atomic_load(&tone.audio) < 20); i++) {
		sleep_ms(10);
	}
	RC(MiniAV_Screen_StopCapture(sc), MINIAV_SUCCESS);
	CHECK(atomic_load(&tone.video) >= 5 && atomic_load(&tone.audio) >= 20 && atomic_load(&tone.bad) == 0,
	      "screen with audio: %d video, %d audio buffers, %d bad", atomic_load(&tone.video), atomic_load(&tone.audio),
	      atomic_load(&tone.bad));
	printf("screen with audio: %d video and %d audio buffers on one callback\n", atomic_load(&tone.video),
	       atomic_load(&tone.audio));
	RC(MiniAV_Screen_DestroyContext(sc), MINIAV_SUCCESS);
}

/* pop_within is pop with a deadline: NULL after ms without a buffer. */
static const MiniAVBuffer *pop_within(int ms) {
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (long)(ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++, dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&queue.mu);
	while (queue.n == 0 && !queue.closed) {
		if (pthread_cond_timedwait(&queue.cond, &queue.mu, &dl) == ETIMEDOUT) {
			break;
		}
	}
	const MiniAVBuffer *b = NULL;
	if (queue.n > 0) {
		b = queue.q[queue.head];
		queue.head = (queue.head + 1) % QMAX;
		queue.n--;
	}
	pthread_mutex_unlock(&queue.mu);
	return b;
}

/* yuv_at reads the Y, U and V samples at (x, y) of a YUY2 or NV12 buffer. */
static void yuv_at(const MiniAVBuffer *b, int x, int y, int out[3]) {
	const MiniAVVideoPlane *p = b->data.video.planes;
	const uint8_t *d = p[0].data_ptr;
	if (b->data.video.info.pixel_format == MINIAV_PIXEL_FORMAT_YUY2) {
		const uint8_t *row = d + (size_t)y * p[0].stride_bytes;
		out[0] = row[2 * x], out[1] = row[4 * (x / 2) + 1], out[2] = row[4 * (x / 2) + 3];
		return;
	}
	const uint8_t *uv = (const uint8_t *)p[1].data_ptr + (size_t)(y / 2) * p[1].stride_bytes + (x & ~1);
	out[0] = d[(size_t)y * p[0].stride_bytes + x], out[1] = uv[0], out[2] = uv[1];
}

struct vivid_consumer {
	uint32_t w, h;
	MiniAVPixelFormat pf;
	void *ud;
	int want, got, bad_pixels, dmabufs, dmabuf_same;
	int64_t last_ts;
	int increasing;
	int64_t first_ts;
};

/* check_dmabuf checks that fd is the DMA-BUF of plane p: its size (lseek
 * to the end) covers the plane at offset_bytes, and its mapping holds the
 * plane's bytes there. 0: no DMA-BUF, 1: not mappable, 2: equal, -1: not. */
static int check_dmabuf(const MiniAVVideoPlane *p, size_t bytes) {
	if (p->dmabuf_fd < 0 || fcntl(p->dmabuf_fd, F_GETFD) == -1) {
		return 0;
	}
	off_t size = lseek(p->dmabuf_fd, 0, SEEK_END), end = (off_t)p->offset_bytes + (off_t)bytes;
	CHECK(size >= end, "dmabuf %d: size %lld, plane %zu bytes at %u", p->dmabuf_fd, (long long)size, bytes,
	      p->offset_bytes);
	if (size < end) {
		return 0;
	}
	void *m = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, p->dmabuf_fd, 0);
	if (m == MAP_FAILED) {
		fprintf(stderr, "note: mmap of dmabuf %d: %s\n", p->dmabuf_fd, strerror(errno));
		return 1;
	}
	int same = memcmp((const uint8_t *)m + p->offset_bytes, p->data_ptr, bytes) == 0;
	munmap(m, (size_t)size);
	return same ? 2 : -1;
}

/* consume_vivid checks each buffer on its own thread after its callback
 * returned, and releases it there. */
static void *consume_vivid(void *arg) {
	struct vivid_consumer *c = arg;
	c->last_ts = -1, c->increasing = 1;
	while (c->got < c->want) {
		const MiniAVBuffer *b = pop_within(10000);
		CHECK(b != NULL, "no buffer within 10 s (%d of %d)", c->got, c->want);
		if (b == NULL) {
			break;
		}
		const MiniAVVideoInfo *in = &b->data.video.info;
		CHECK(b->type == MINIAV_BUFFER_TYPE_VIDEO && b->content_type == MINIAV_BUFFER_CONTENT_TYPE_CPU, "type %d content %d",
		      b->type, b->content_type);
		CHECK(in->width == c->w && in->height == c->h && in->pixel_format == c->pf, "info %ux%u pf %d", in->width,
		      in->height, in->pixel_format);
		CHECK(b->user_data == c->ud, "user_data %p", b->user_data);
		const MiniAVVideoPlane *p = b->data.video.planes;
		uint32_t planes = c->pf == MINIAV_PIXEL_FORMAT_NV12 ? 2 : 1;
		CHECK(b->data.video.num_planes == planes, "%u planes, want %u", b->data.video.num_planes, planes);
		size_t bytes[2];
		if (c->pf == MINIAV_PIXEL_FORMAT_YUY2) {
			CHECK(p[0].stride_bytes == 2 * c->w && p[0].width == c->w && p[0].height == c->h, "plane %ux%u stride %u",
			      p[0].width, p[0].height, p[0].stride_bytes);
			bytes[0] = (size_t)p[0].stride_bytes * c->h;
		} else {
			CHECK(p[0].stride_bytes == c->w && p[1].stride_bytes == c->w && p[0].width == c->w && p[0].height == c->h &&
			          p[1].width == c->w / 2 && p[1].height == c->h / 2,
			      "planes %ux%u/%u %ux%u/%u", p[0].width, p[0].height, p[0].stride_bytes, p[1].width, p[1].height,
			      p[1].stride_bytes);
			bytes[0] = (size_t)p[0].stride_bytes * c->h, bytes[1] = (size_t)p[1].stride_bytes * c->h / 2;
		}
		CHECK(b->data_size_bytes >= bytes[0] + (planes == 2 ? bytes[1] : 0), "data_size_bytes %zu",
		      (size_t)b->data_size_bytes);
		for (uint32_t y = 0; y < c->h; y += 7) {
			for (int i = 0; i < 8; i++) {
				int x = ((2 * i + 1) * (int)c->w / 16) & ~1, s[3];
				yuv_at(b, x, (int)y, s);
				if (abs(s[0] - bars_yuv[i][0]) > 2 || abs(s[1] - bars_yuv[i][1]) > 2 || abs(s[2] - bars_yuv[i][2]) > 2) {
					if (c->bad_pixels++ < 4) {
						fprintf(stderr, "FAIL bar %d at (%d,%u): YUV %d,%d,%d, want %u,%u,%u\n", i, x, y, s[0], s[1], s[2],
						        bars_yuv[i][0], bars_yuv[i][1], bars_yuv[i][2]);
					}
				}
			}
		}
		for (uint32_t j = 0; j < planes; j++) {
			int r = check_dmabuf(&p[j], bytes[j]);
			CHECK(r != 0, "plane %u: dmabuf_fd %d is no DMA-BUF", j, p[j].dmabuf_fd);
			CHECK(r != -1, "plane %u: the DMA-BUF's mapping differs from data_ptr", j);
			c->dmabufs += r > 0, c->dmabuf_same += r == 2;
		}
		CHECK(p[planes].dmabuf_fd == -1 && p[planes].data_ptr == NULL, "plane %u set", planes);
		int64_t now = now_us();
		CHECK(b->timestamp_us <= now && b->timestamp_us > now - 2000000, "timestamp %" PRId64 " us, now %" PRId64,
		      b->timestamp_us, now);
		if (b->timestamp_us <= c->last_ts) {
			c->increasing = 0;
		}
		if (c->got == 0) {
			c->first_ts = b->timestamp_us;
		}
		c->last_ts = b->timestamp_us;
		void *h = b->internal_handle;
		RC(MiniAV_ReleaseBuffer(h), MINIAV_SUCCESS);
		if (c->got == 0) {
			RC(MiniAV_ReleaseBuffer(h), MINIAV_ERROR_INVALID_HANDLE);
		}
		c->got++;
	}
	return NULL;
}

/* Camera properties (miniav_ext.h) of a vivid node: Brightness is listed
 * with vivid's range, set, read back and restored; an unknown ID is refused.
 * running says whether the context is capturing (its stream's controls) or
 * not (a stream opened for the call). */
#define CID_BRIGHTNESS 0x00980900u
static void test_v4l2_properties(MiniAVCameraContextHandle cam, const char *id, int running) {
	MiniAVPropertyInfo *props = NULL;
	uint32_t np = 0;
	RC(MiniAV_Camera_GetPropertyInfo(cam, &props, &np), MINIAV_SUCCESS);
	int bi = -1;
	for (uint32_t j = 0; j < np; j++) {
		if (props[j].id == CID_BRIGHTNESS) {
			bi = (int)j;
		}
	}
	CHECK(np > 0 && bi >= 0, "%s: %u properties, no Brightness", id, np);
	if (bi >= 0) {
		MiniAVPropertyInfo *b = &props[bi];
		CHECK(strcmp(b->name, "Brightness") == 0 && b->type == MINIAV_PROPERTY_TYPE_INTEGER && b->min_value == 0 &&
		          b->max_value == 255 && b->step == 1 && b->default_value == 128 && b->flags == 0,
		      "%s: Brightness listed as %s type %d %" PRId64 "..%" PRId64 " step %" PRId64 " default %" PRId64 " flags %#x", id,
		      b->name, b->type, b->min_value, b->max_value, b->step, b->default_value, b->flags);
	}
	MiniAV_Free(props);
	int64_t v = -1;
	int64_t want = running ? 200 : 60;
	RC(MiniAV_Camera_SetProperty(cam, CID_BRIGHTNESS, want), MINIAV_SUCCESS);
	RC(MiniAV_Camera_GetProperty(cam, CID_BRIGHTNESS, &v), MINIAV_SUCCESS);
	CHECK(v == want, "%s: Brightness read back %" PRId64 ", set %" PRId64, id, v, want);
	RC(MiniAV_Camera_SetProperty(cam, CID_BRIGHTNESS, 128), MINIAV_SUCCESS);
	RC(MiniAV_Camera_GetProperty(cam, CID_BRIGHTNESS, &v), MINIAV_SUCCESS);
	CHECK(v == 128, "%s: Brightness restored to %" PRId64, id, v);
	RC(MiniAV_Camera_GetProperty(cam, 0x00ab1234u, &v), MINIAV_ERROR_INVALID_ARG);
	RC(MiniAV_Camera_SetProperty(cam, 0x00ab1234u, 1), MINIAV_ERROR_INVALID_ARG);
	RC(MiniAV_Camera_GetProperty(cam, CID_BRIGHTNESS, NULL), MINIAV_ERROR_INVALID_ARG);
}

static void test_v4l2(int n, char **nodes) {
	MiniAVDeviceInfo *devs = NULL;
	uint32_t nd = 0;
	RC(MiniAV_Camera_EnumerateDevices(&devs, &nd), MINIAV_SUCCESS);
	for (uint32_t i = 0; i < nd; i++) {
		printf("camera %s: %s\n", devs[i].device_id, devs[i].name);
	}
	for (int k = 0; k < n; k++) {
		char id[256];
		snprintf(id, sizeof id, "v4l2:%s", nodes[k]);
		int i = find(devs, nd, id);
		CHECK(i >= 0, "%s not among %u cameras", id, nd);
		if (i >= 0) {
			CHECK(strstr(devs[i].name, "vivid") != NULL, "%s is named %s", id,
			      devs[i].name);
		}
	}
	RC(MiniAV_FreeDeviceList(devs, nd), MINIAV_SUCCESS);

	for (int k = 0; k < n; k++) {
		char id[256];
		snprintf(id, sizeof id, "v4l2:%s", nodes[k]);
		MiniAVPixelFormat pf = k == 0 ? MINIAV_PIXEL_FORMAT_YUY2 : MINIAV_PIXEL_FORMAT_NV12;
		MiniAVVideoInfo *fmts = NULL;
		uint32_t nf = 0;
		RC(MiniAV_Camera_GetSupportedFormats(id, &fmts, &nf), MINIAV_SUCCESS);
		/* The fastest rate of at most 30 fps the list gives for 640x480. */
		MiniAVVideoInfo want = {0};
		double best = 0;
		for (uint32_t j = 0; j < nf; j++) {
			double fps = (double)fmts[j].frame_rate_numerator / fmts[j].frame_rate_denominator;
			if (fmts[j].pixel_format == pf && fmts[j].width == 640 && fmts[j].height == 480 && fps <= 30 && fps > best) {
				want = fmts[j], best = fps;
			}
		}
		printf("%s: %u formats\n", id, nf);
		CHECK(want.width == 640, "%s: no 640x480 pf %d among %u formats", id, pf, nf);
		RC(MiniAV_FreeFormatList(fmts, nf), MINIAV_SUCCESS);
		if (want.width != 640) {
			continue;
		}
		want.output_preference = MINIAV_OUTPUT_PREFERENCE_CPU;
		MiniAVCameraContextHandle cam = NULL;
		RC(MiniAV_Camera_CreateContext(&cam), MINIAV_SUCCESS);
		RC(MiniAV_Camera_Configure(cam, id, &want), MINIAV_SUCCESS);
		MiniAVVideoInfo got;
		RC(MiniAV_Camera_GetConfiguredFormat(cam, &got), MINIAV_SUCCESS);
		CHECK(got.width == 640 && got.height == 480 && got.pixel_format == pf &&
		          got.frame_rate_numerator == want.frame_rate_numerator &&
		          got.frame_rate_denominator == want.frame_rate_denominator,
		      "configured %ux%u pf %d %u/%u, want %u/%u", got.width, got.height, got.pixel_format, got.frame_rate_numerator,
		      got.frame_rate_denominator, want.frame_rate_numerator, want.frame_rate_denominator);
		int marker;
		struct vivid_consumer c = {640, 480, pf, &marker, 12, 0, 0, 0, 0, 0, 0, 0};
		pthread_t th;
		pthread_create(&th, NULL, consume_vivid, &c);
		int64_t t0 = now_us();
		RC(MiniAV_Camera_StartCapture(cam, on_buffer, &marker), MINIAV_SUCCESS);
		pthread_join(th, NULL);
		CHECK(atomic_load(&callback_thread) != (uintptr_t)pthread_self(), "callback on the caller's thread");
		test_v4l2_properties(cam, id, 1);
		RC(MiniAV_Camera_StopCapture(cam), MINIAV_SUCCESS);
		test_v4l2_properties(cam, id, 0);
		int after = atomic_load(&callbacks);
		sleep_ms(100);
		CHECK(atomic_load(&callbacks) == after, "%d callbacks after StopCapture", atomic_load(&callbacks) - after);
		drain();
		RC(MiniAV_Camera_DestroyContext(cam), MINIAV_SUCCESS);
		CHECK(c.got == c.want, "%s: consumed %d buffers, want %d", id, c.got, c.want);
		CHECK(c.increasing, "%s: timestamps did not increase", id);
		CHECK(c.bad_pixels == 0, "%s: %d bar samples off", id, c.bad_pixels);
		double secs = c.got > 1 ? (double)(c.last_ts - c.first_ts) / 1e6 : 0;
		double fps = secs > 0 ? (c.got - 1) / secs : 0;
		CHECK(fps > best / 2 && fps < best * 1.1, "%s: %.1f fps measured, configured %.1f", id, fps, best);
		printf("%s: %d buffers %ux%u pf %d at %u/%u, %.1f fps measured, %d bad samples, %d DMA-BUF planes (%d mapped "
		       "equal), first after %.2f s\n",
		       id, c.got, got.width, got.height, pf, got.frame_rate_numerator, got.frame_rate_denominator,
		       fps, c.bad_pixels, c.dmabufs, c.dmabuf_same, (double)(c.first_ts - t0) / 1e6);
	}
}

/* Leak accounting (run with a short MINIAV_LEAK_AFTER and
 * MINIAV_METRICS_ADDR): the first buffer is held, every later one released
 * in the callback. Once the library has reported the held one as leaked the
 * program says HOLDING and waits for a line on stdin (the test reads the
 * metrics meanwhile); then the buffer must still hold the pattern and
 * release normally. */
static _Atomic(const MiniAVBuffer *) held;

static void on_hold(const MiniAVBuffer *b, void *ud) {
	(void)ud;
	const MiniAVBuffer *none = NULL;
	if (!atomic_compare_exchange_strong(&held, &none, b)) {
		RC(MiniAV_ReleaseBuffer(b->internal_handle), MINIAV_SUCCESS);
	}
}

static void test_leak(void) {
	MiniAVCameraContextHandle cc;
	RC(MiniAV_Camera_CreateContext(&cc), MINIAV_SUCCESS);
	MiniAVVideoInfo want = {640, 360, MINIAV_PIXEL_FORMAT_I420, 30, 1, MINIAV_OUTPUT_PREFERENCE_CPU};
	RC(MiniAV_Camera_Configure(cc, "testsrc:camera", &want), MINIAV_SUCCESS);
	RC(MiniAV_Camera_StartCapture(cc, on_hold, &want), MINIAV_SUCCESS);
	for (int i = 0; i < 500 && atomic_load(&logs_leaked) == 0; i++) {
		sleep_ms(10);
	}
	CHECK(atomic_load(&logs_leaked) == 1, "%d leak warnings through the log callback, want 1", atomic_load(&logs_leaked));
	printf("HOLDING\n");
	fflush(stdout);
	char line[16];
	CHECK(fgets(line, sizeof line, stdin) != NULL, "no go-ahead on stdin");
	const MiniAVBuffer *b = atomic_load(&held);
	CHECK(b != NULL, "no buffer held");
	if (b != NULL) {
		check_video(b, 640, 360, MINIAV_PIXEL_FORMAT_I420, &want); /* still valid */
		RC(MiniAV_ReleaseBuffer(b->internal_handle), MINIAV_SUCCESS);
		RC(MiniAV_ReleaseBuffer(b->internal_handle), MINIAV_ERROR_INVALID_HANDLE);
	}
	RC(MiniAV_Camera_StopCapture(cc), MINIAV_SUCCESS);
	RC(MiniAV_Camera_DestroyContext(cc), MINIAV_SUCCESS);
	CHECK(atomic_load(&logs_leaked) == 1, "%d leak warnings, want 1 (one buffer was held)", atomic_load(&logs_leaked));
}

int main(int argc, char **argv) {
	load_bars("MINIAV_TEST_BARS", bars_yuv);
	load_bars("MINIAV_TEST_RGB", bars_rgb);
	RC(MiniAV_SetLogCallback(on_log, &logs), MINIAV_SUCCESS);
	RC(MiniAV_SetLogLevel(MINIAV_LOG_LEVEL_DEBUG), MINIAV_SUCCESS);
	if (argc > 1 && strcmp(argv[1], "x11") == 0) {
		char id[300];
		snprintf(id, sizeof id, "x11:%s", getenv("DISPLAY"));
		load_scene();
		test_screen(id);
	} else if (argc > 2 && strcmp(argv[1], "v4l2") == 0) {
		test_v4l2(argc - 2, argv + 2);
	} else if (argc > 1 && strcmp(argv[1], "leak") == 0) {
		test_leak();
	} else if (argc > 2 && strcmp(argv[1], "pulse") == 0) {
		test_pulse(atoi(argv[2]));
	} else {
		test_common();
		test_camera();
		test_backpressure();
		test_stop_inside();
		test_dispose();
		test_lost();
		test_audio();
		test_screen("testsrc:screen");
		test_loopback();
		test_unsupported();
		test_device_change();
		for (int i = 0; i < 100 && atomic_load(&logs_with_id) == 0; i++) {
			sleep_ms(10); /* messages come from the library's log goroutine */
		}
		CHECK(atomic_load(&logs_with_id) > 0, "no log message named the unknown device (%d messages)",
		      atomic_load(&logs));
	}
	RC(MiniAV_SetLogLevel(MINIAV_LOG_LEVEL_NONE), MINIAV_SUCCESS);
	RC(MiniAV_SetLogCallback(NULL, NULL), MINIAV_SUCCESS);
	printf("%d checks, %d log messages\n", checks, atomic_load(&logs));
	if (failures) {
		printf("FAIL: %d of %d checks\n", failures, checks);
		return 1;
	}
	puts("PASS");
	return 0;
}
