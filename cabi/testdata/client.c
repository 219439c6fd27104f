/*
 * client.c - a C client of libminiav that checks real capture from the
 * synthetic source. Built and run by cabi_test.go:
 *
 *     cc -Wall -Wextra -Werror -I cabi client.c -L dir -lminiav -lm -pthread -o client
 *     MINIAV_TEST_BARS="y,u,v y,u,v ..." MINIAV_TEST_GRAY="g g ..." ./client
 *
 * The expected bar colours come from the test (package backend/testsrc), so
 * this file holds no copy of the pattern. Hot-plug is tested with the
 * library's test backend "cabitest", whose devices this client plugs and
 * unplugs by rewriting the file $MINIAV_CABITEST_DEVICES. Prints "PASS n checks" and exits
 * 0, or prints every failed check and exits 1.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#include <windows.h>
#endif

#include "miniav.h"

static int checks, failures;

#define CHECK(cond, ...)                                          \
	do {                                                          \
		checks++;                                                 \
		if (!(cond)) {                                            \
			failures++;                                           \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);  \
			fprintf(stderr, __VA_ARGS__);                         \
			fprintf(stderr, " [last error: %s]\n", miniav_last_error()); \
		}                                                         \
	} while (0)

#define CHECK_STATUS(got, want)                                                           \
	do {                                                                                  \
		int got_ = (got);                                                                 \
		CHECK(got_ == (want), "%s: got %s, want %s", #got, miniav_status_name(got_),      \
		      miniav_status_name(want));                                                  \
	} while (0)

static uint8_t bars_yuv[8][3];
static uint8_t bars_gray[8];

static void load_bars(void) {
	const char *s = getenv("MINIAV_TEST_BARS"), *g = getenv("MINIAV_TEST_GRAY");
	if (s == NULL || g == NULL) {
		fprintf(stderr, "MINIAV_TEST_BARS and MINIAV_TEST_GRAY must be set\n");
		exit(2);
	}
	for (int i = 0; i < 8; i++) {
		unsigned y, u, v, gr;
		int n;
		if (sscanf(s, "%u,%u,%u%n", &y, &u, &v, &n) != 3 || sscanf(g, "%u%n", &gr, &n) != 1) {
			fprintf(stderr, "bad MINIAV_TEST_BARS/GRAY\n");
			exit(2);
		}
		sscanf(s, "%*u,%*u,%*u%n", &n);
		s += n;
		bars_yuv[i][0] = (uint8_t)y, bars_yuv[i][1] = (uint8_t)u, bars_yuv[i][2] = (uint8_t)v;
		sscanf(g, "%*u%n", &n);
		g += n;
		bars_gray[i] = (uint8_t)gr;
	}
}

/* bar_at mirrors testsrc.BarAt: the bar under column x of frame k. */
static int bar_at(int x, int w, uint64_t k) {
	int off = (int)((k * 4) % (uint64_t)w) & ~1;
	return ((x + off) % w) * 8 / w;
}

/* stamp decodes the frame index from the luma plane (testsrc.DecodeIndex). */
static int64_t stamp(const miniav_frame_t *f) {
	int bw = (f->width / 32) & ~1;
	int bh = (f->height / 4 < 16 ? f->height / 4 : 16) & ~1;
	uint32_t k = 0;
	for (int bit = 0; bit < 32; bit++) {
		uint8_t l = f->planes[0][(bh / 2) * f->strides[0] + bit * bw + bw / 2];
		if (l >= 200) {
			k |= 1u << (31 - bit);
		} else if (l > 40) {
			return -1;
		}
	}
	return k;
}

/* check_i420 checks sizes, the index stamp and the bar colours of one frame. */
static void check_i420(const miniav_frame_t *f) {
	int w = f->width, h = f->height;
	CHECK(f->kind == MINIAV_KIND_VIDEO, "kind %d", f->kind);
	CHECK(f->pixel_format == MINIAV_PIX_I420, "pixel format %08x", f->pixel_format);
	CHECK(f->num_planes == 3, "planes %d", f->num_planes);
	CHECK(f->lengths[0] == (int64_t)w * h && f->lengths[1] == (int64_t)w * h / 4 && f->lengths[2] == (int64_t)w * h / 4,
	      "plane lengths %" PRId64 " %" PRId64 " %" PRId64 " for %dx%d", f->lengths[0], f->lengths[1], f->lengths[2], w, h);
	CHECK(f->strides[0] == w && f->strides[1] == w / 2 && f->strides[2] == w / 2, "strides %" PRId64 " %" PRId64,
	      f->strides[0], f->strides[1]);
	CHECK(stamp(f) == (int64_t)(uint32_t)f->sequence, "stamp %" PRId64 " != sequence %" PRIu64, stamp(f), f->sequence);
	int y = h / 2;
	for (int b = 0; b < 8; b++) {
		int x = ((2 * b + 1) * w / 16) & ~1; /* a column in the middle of bar b of frame 0 */
		int bar = bar_at(x, w, f->sequence);
		uint8_t Y = f->planes[0][y * f->strides[0] + x];
		uint8_t U = f->planes[1][(y / 2) * f->strides[1] + x / 2];
		uint8_t V = f->planes[2][(y / 2) * f->strides[2] + x / 2];
		CHECK(Y == bars_yuv[bar][0] && U == bars_yuv[bar][1] && V == bars_yuv[bar][2],
		      "frame %" PRIu64 " x=%d: YUV %u,%u,%u, want bar %d %u,%u,%u", f->sequence, x, Y, U, V, bar,
		      bars_yuv[bar][0], bars_yuv[bar][1], bars_yuv[bar][2]);
	}
}

static void test_video(void) {
	miniav_stream_t s = 0;
	/* The device is lost after 12 frames, so the stream ends by itself
	   and its counters settle. */
	CHECK_STATUS(miniav_open("testsrc:camera?lose=12", "320x240@60 i420", 4, MINIAV_POLICY_BLOCK, &s), MINIAV_OK);
	CHECK(s != 0, "handle 0");

	miniav_stream_info_t in;
	CHECK_STATUS(miniav_stream_info(s, &in), MINIAV_OK);
	CHECK(in.width == 320 && in.height == 240 && in.pixel_format == MINIAV_PIX_I420 && in.fps_num == 60 && in.fps_den == 1,
	      "info %dx%d %08x %d/%d", in.width, in.height, in.pixel_format, in.fps_num, in.fps_den);
	CHECK(in.device_kind == MINIAV_DEVICE_CAMERA && in.policy == MINIAV_POLICY_BLOCK && in.queue == 4, "info kind/policy/queue");
	CHECK(strcmp(in.device, "testsrc:camera?lose=12") == 0, "device %s", in.device);

	miniav_frame_t f, first;
	int n = 0, st;
	uint64_t prev = 0, gaps = 0;
	while ((st = miniav_next_frame(s, 5000, &f)) == MINIAV_OK) {
		check_i420(&f);
		if (n > 0) {
			/* With the Block policy nothing is dropped on the way: the
			   sequence steps by one unless the synthetic device itself
			   skipped a frame (its schedule starved of CPU), which the
			   stream counts as a device drop, checked below. */
			CHECK(f.sequence > prev, "sequence %" PRIu64 " after %" PRIu64, f.sequence, prev);
			gaps += f.sequence - prev - 1;
		}
		prev = f.sequence;
		if (n == 0) {
			first = f; /* hold frame 0 across the others */
		} else {
			CHECK_STATUS(miniav_frame_release(&f), MINIAV_OK);
			CHECK(f.planes[0] == NULL && f.kind == MINIAV_KIND_NONE, "released frame not cleared");
		}
		n++;
	}
	CHECK_STATUS(st, MINIAV_ERR_DEVICE_LOST);
	CHECK(strstr(miniav_last_error(), "lost") != NULL, "device lost message: %s", miniav_last_error());
	CHECK(n >= 1 && prev <= 11, "got %d frames up to %" PRIu64 ", want 0..11", n, prev);
	CHECK(first.sequence == 0, "first sequence %" PRIu64, first.sequence);
	check_i420(&first); /* still valid: held */

	miniav_stream_stats_t stats;
	CHECK_STATUS(miniav_stream_stats(s, &stats), MINIAV_OK);
	CHECK(stats.outstanding == 1, "outstanding %" PRId64 " while holding one frame", stats.outstanding);
	miniav_frame_t copy = first;
	CHECK_STATUS(miniav_frame_release(&first), MINIAV_OK);
	CHECK_STATUS(miniav_frame_release(&first), MINIAV_ERR_RELEASED); /* cleared struct */
	CHECK_STATUS(miniav_frame_release(&copy), MINIAV_ERR_RELEASED);  /* stale copy */
	CHECK(strstr(miniav_last_error(), "released") != NULL, "released message: %s", miniav_last_error());

	CHECK_STATUS(miniav_stream_stats(s, &stats), MINIAV_OK);
	CHECK(stats.outstanding == 0 && stats.queued == 0, "outstanding %" PRId64 " queued %" PRId64, stats.outstanding, stats.queued);
	CHECK(stats.captured == (uint64_t)n && stats.delivered == (uint64_t)n, "captured %" PRIu64 " delivered %" PRIu64 " of %d",
	      stats.captured, stats.delivered, n);
	CHECK(stats.dropped_total == gaps && stats.dropped[MINIAV_DROP_DEVICE] == gaps,
	      "dropped %" PRIu64 " (device %" PRIu64 "), sequence gaps %" PRIu64, stats.dropped_total,
	      stats.dropped[MINIAV_DROP_DEVICE], gaps);
	if (gaps > 0) {
		printf("video: the device skipped %" PRIu64 " frames (CPU starvation), all counted\n", gaps);
	}

	CHECK_STATUS(miniav_close(s), MINIAV_OK);
	CHECK_STATUS(miniav_close(s), MINIAV_OK);
	CHECK_STATUS(miniav_next_frame(s, 0, &f), MINIAV_ERR_CLOSED);
	CHECK_STATUS(miniav_stream_stats(s, &stats), MINIAV_ERR_CLOSED);
}

/* A frame held across miniav_close stays valid until released. */
static void test_hold_across_close(void) {
	miniav_stream_t s = 0;
	CHECK_STATUS(miniav_open("testsrc:camera", "160x120@1 gray8", 2, MINIAV_POLICY_DROP_OLDEST, &s), MINIAV_OK);
	miniav_frame_t f;
	CHECK_STATUS(miniav_next_frame(s, 5000, &f), MINIAV_OK);
	miniav_frame_t g;
	/* At 1 fps the next frame is a second away. */
	CHECK_STATUS(miniav_next_frame(s, 50, &g), MINIAV_ERR_TIMEOUT);
	CHECK_STATUS(miniav_close(s), MINIAV_OK);
	CHECK(f.lengths[0] == 160 * 120 && f.pixel_format == MINIAV_PIX_GRAY8, "gray8 frame %" PRId64, f.lengths[0]);
	CHECK(stamp(&f) == (int64_t)(uint32_t)f.sequence, "stamp after close");
	for (int b = 0; b < 8; b++) {
		int x = ((2 * b + 1) * 160 / 16) & ~1;
		int bar = bar_at(x, 160, f.sequence);
		uint8_t v = f.planes[0][60 * f.strides[0] + x];
		CHECK(v == bars_gray[bar], "gray x=%d: %u, want %u", x, v, bars_gray[bar]);
	}
	CHECK_STATUS(miniav_frame_release(&f), MINIAV_OK);
}

static void test_audio(void) {
	miniav_stream_t s = 0;
	CHECK_STATUS(miniav_open("testsrc:microphone?freq=1000", "48000 1ch f32 480frames", 16, MINIAV_POLICY_BLOCK, &s), MINIAV_OK);
	enum { PERIODS = 10, N = PERIODS * 480 };
	static float samples[N];
	static uint64_t pos[PERIODS];
	for (int i = 0; i < PERIODS; i++) {
		miniav_frame_t f;
		CHECK_STATUS(miniav_next_frame(s, 5000, &f), MINIAV_OK);
		CHECK(f.kind == MINIAV_KIND_AUDIO && f.sample_rate == 48000 && f.channels == 1 && f.sample_format == MINIAV_SAMPLE_F32,
		      "audio %d %d %d %d", f.kind, f.sample_rate, f.channels, f.sample_format);
		CHECK(f.frames == 480 && f.lengths[0] == 480 * 4, "frames %d bytes %" PRId64, f.frames, f.lengths[0]);
		CHECK(i == 0 || f.sequence >= pos[i - 1] + 480, "audio sequence %" PRIu64 " after %" PRIu64, f.sequence,
		      i ? pos[i - 1] : 0);
		CHECK(f.sequence % 480 == 0, "audio sequence %" PRIu64 " not at a period", f.sequence);
		pos[i] = f.sequence;
		if (f.lengths[0] == 480 * 4) {
			memcpy(samples + i * 480, f.planes[0], 480 * 4);
		}
		CHECK_STATUS(miniav_frame_release(&f), MINIAV_OK);
	}
	CHECK_STATUS(miniav_close(s), MINIAV_OK);
	/* Frequency from the rising zero crossings, interpolated between
	   samples, over runs of contiguous periods (a period the synthetic
	   device skipped under CPU starvation splits a run). */
	double cycles = 0, span = 0, firstc = -1, lastc = -1;
	int rising = 0;
	for (int i = 1; i <= N; i++) {
		if (i == N || i % 480 == 0) {
			int p = i / 480;
			if (i == N || pos[p] != pos[p - 1] + 480) { /* end of a run */
				if (rising > 1) {
					cycles += rising - 1;
					span += lastc - firstc;
				}
				rising = 0, firstc = -1;
				continue;
			}
		}
		if (samples[i - 1] < 0 && samples[i] >= 0) {
			double t = (i - 1) + samples[i - 1] / (samples[i - 1] - samples[i]);
			if (firstc < 0) {
				firstc = t;
			}
			lastc = t;
			rising++;
		}
	}
	double hz = span > 0 ? cycles * 48000.0 / span : 0;
	CHECK(fabs(hz - 1000) <= 2, "tone %.3f Hz, want 1000 ± 2", hz);
	printf("audio: %.3f Hz\n", hz);
}

static void test_errors(void) {
	miniav_stream_t s = 0;
	CHECK_STATUS(miniav_open("testsrc:nope", NULL, 0, 0, &s), MINIAV_ERR_NOT_FOUND);
	CHECK(strstr(miniav_last_error(), "nope") != NULL, "not-found message: %s", miniav_last_error());
	CHECK_STATUS(miniav_open("nosuchbackend:x", NULL, 0, 0, &s), MINIAV_ERR_NOT_FOUND);
	CHECK_STATUS(miniav_open("testsrc:camera", "640x480 bogus", 0, 0, &s), MINIAV_ERR_INVALID);
	CHECK_STATUS(miniav_open("testsrc:camera", "640x480 h264", 0, 0, &s), MINIAV_ERR_NOT_SUPPORTED);
	CHECK(strstr(miniav_last_error(), "H264") != NULL, "not-supported message: %s", miniav_last_error());
	CHECK_STATUS(miniav_open("testsrc:camera", NULL, -1, 0, &s), MINIAV_ERR_INVALID);
	CHECK_STATUS(miniav_open("testsrc:camera", NULL, 0, 7, &s), MINIAV_ERR_INVALID);
	CHECK_STATUS(miniav_open(NULL, NULL, 0, 0, &s), MINIAV_ERR_INVALID);
	CHECK(s == 0, "handle set on failure");
	CHECK_STATUS(miniav_close(0), MINIAV_ERR_INVALID);
	CHECK_STATUS(miniav_close(UINT64_MAX), MINIAV_ERR_INVALID);
	miniav_frame_t f;
	memset(&f, 0, sizeof f);
	CHECK_STATUS(miniav_frame_release(&f), MINIAV_ERR_RELEASED);
	CHECK_STATUS(miniav_frame_release(NULL), MINIAV_ERR_INVALID);
}

static void test_library(void) {
	CHECK(miniav_abi_version() == MINIAV_ABI_VERSION, "abi %d", miniav_abi_version());
	CHECK(strncmp(miniav_version(), "miniav ", 7) == 0, "version %s", miniav_version());
	CHECK(strcmp(miniav_status_name(MINIAV_ERR_BUSY), "MINIAV_ERR_BUSY") == 0, "status name");
	char *js = NULL;
	CHECK_STATUS(miniav_devices_json(&js), MINIAV_OK);
	CHECK(js != NULL && strstr(js, "\"id\":\"testsrc:camera\"") != NULL && strstr(js, "\"kind\":\"microphone\"") != NULL,
	      "devices json: %s", js ? js : "(null)");
	miniav_free(js);
	miniav_free(NULL);
}

/* Two threads share one stream: every frame goes to exactly one of them. */
struct reader {
	miniav_stream_t s;
	uint64_t seqs[64];
	int n;
	int status;
	char err[256];
};

static void *read_frames(void *arg) {
	struct reader *r = arg;
	miniav_frame_t f;
	while (r->n < 64 && (r->status = miniav_next_frame(r->s, 5000, &f)) == MINIAV_OK) {
		r->seqs[r->n++] = f.sequence;
		check_i420(&f);
		miniav_frame_release(&f);
	}
	/* The last error is per thread: this one's, not the other reader's. */
	snprintf(r->err, sizeof r->err, "%s", miniav_last_error());
	return NULL;
}

static void *bad_open(void *arg) {
	miniav_stream_t s;
	int *st = arg;
	for (int i = 0; i < 100; i++) {
		*st = miniav_open("testsrc:elsewhere", NULL, 0, 0, &s);
	}
	return NULL;
}

static void test_threads(void) {
	miniav_stream_t s = 0;
	CHECK_STATUS(miniav_open("testsrc:camera?lose=40", "320x240@60 i420", 4, MINIAV_POLICY_BLOCK, &s), MINIAV_OK);
	struct reader a = {.s = s}, b = {.s = s};
	pthread_t ta, tb, tc;
	int bad = 0;
	pthread_create(&ta, NULL, read_frames, &a);
	pthread_create(&tb, NULL, read_frames, &b);
	pthread_create(&tc, NULL, bad_open, &bad);
	CHECK_STATUS(miniav_open("testsrc:camera", "1x1", 0, 0, &s), MINIAV_ERR_NOT_SUPPORTED);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_join(tc, NULL);
	CHECK(strstr(miniav_last_error(), "1x1") != NULL, "main thread's error: %s", miniav_last_error());
	CHECK_STATUS(bad, MINIAV_ERR_NOT_FOUND);
	CHECK_STATUS(a.status, MINIAV_ERR_DEVICE_LOST);
	CHECK_STATUS(b.status, MINIAV_ERR_DEVICE_LOST);
	CHECK(strstr(a.err, "lost") && strstr(b.err, "lost"), "reader errors: %s / %s", a.err, b.err);
	/* Together the readers saw frames of 0..39, each once, in order each. */
	int seen[40] = {0};
	miniav_stream_stats_t st;
	CHECK_STATUS(miniav_stream_stats(a.s, &st), MINIAV_OK);
	for (int i = 0; i < a.n; i++) {
		CHECK(a.seqs[i] < 40 && (i == 0 || a.seqs[i] > a.seqs[i - 1]), "reader a order");
		if (a.seqs[i] < 40) seen[a.seqs[i]]++;
	}
	for (int i = 0; i < b.n; i++) {
		CHECK(b.seqs[i] < 40 && (i == 0 || b.seqs[i] > b.seqs[i - 1]), "reader b order");
		if (b.seqs[i] < 40) seen[b.seqs[i]]++;
	}
	int total = 0;
	for (int i = 0; i < 40; i++) {
		CHECK(seen[i] <= 1, "frame %d seen %d times", i, seen[i]);
		total += seen[i];
	}
	CHECK(total == a.n + b.n && (uint64_t)total == st.delivered && total > 0, "frames seen %d, read %d+%d, delivered %" PRIu64,
	      total, a.n, b.n, st.delivered);
	CHECK(st.dropped_total == st.dropped[MINIAV_DROP_DEVICE], "only device drops with Block: %" PRIu64, st.dropped_total);
	CHECK(st.outstanding == 0, "outstanding %" PRId64, st.outstanding);
	CHECK_STATUS(miniav_close(a.s), MINIAV_OK);
}

static double now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms) {
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* plug replaces the devices of the cabitest backend, atomically. */
static void plug(const char *devices) {
	const char *path = getenv("MINIAV_CABITEST_DEVICES");
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL || fputs(devices, f) < 0 || fclose(f) != 0) {
		perror(tmp);
		exit(2);
	}
#ifdef _WIN32
	/* Windows' rename fails when the target exists, and replacing fails
	   while the library has the file open to read it: retry. */
	for (int i = 0; !MoveFileExA(tmp, path, MOVEFILE_REPLACE_EXISTING); i++) {
		if (i == 200) {
			fprintf(stderr, "%s: MoveFileEx: error %lu\n", path, (unsigned long)GetLastError());
			exit(2);
		}
		Sleep(10);
	}
#else
	if (rename(tmp, path) != 0) {
		perror(path);
		exit(2);
	}
#endif
}

/* next_test_event waits for the next event of the cabitest backend and
   copies its JSON to buf; events of the machine's own devices are skipped
   (printed). */
static int next_test_event(miniav_watch_t w, int64_t timeout_ms, char *buf, size_t n) {
	double deadline = now_ms() + timeout_ms;
	for (;;) {
		char *js = NULL;
		int64_t left = (int64_t)(deadline - now_ms());
		int st = miniav_watch_next(w, left > 0 ? left : 0, &js);
		if (st != MINIAV_OK) {
			CHECK(js == NULL, "event_json set on failure");
			return st;
		}
		CHECK(js != NULL, "no event json");
		if (js != NULL && strstr(js, "\"backend\":\"cabitest\"") == NULL) {
			printf("watch: skipping an event of this machine: %s\n", js);
			miniav_free(js);
			continue;
		}
		snprintf(buf, n, "%s", js != NULL ? js : "");
		miniav_free(js);
		return st;
	}
}

struct waiter {
	miniav_watch_t w;
	int status;
	double returned_ms;
	char err[256];
};

/* wait_event waits on the watch without a timeout until it fails. */
static void *wait_event(void *arg) {
	struct waiter *a = arg;
	char *js;
	while ((a->status = miniav_watch_next(a->w, -1, &js)) == MINIAV_OK) {
		printf("watch: event while waiting for close: %s\n", js);
		miniav_free(js);
	}
	a->returned_ms = now_ms();
	snprintf(a->err, sizeof a->err, "%s", miniav_last_error());
	return NULL;
}

struct frame_waiter {
	miniav_stream_t s;
	int status;
	double returned_ms;
};

/* wait_frame waits for frames without a timeout until the stream fails. */
static void *wait_frame(void *arg) {
	struct frame_waiter *a = arg;
	miniav_frame_t f;
	while ((a->status = miniav_next_frame(a->s, -1, &f)) == MINIAV_OK) {
		miniav_frame_release(&f);
	}
	a->returned_ms = now_ms();
	return NULL;
}

/* NULL arguments, stale and foreign handles, double releases and a close
   while another thread waits: every misuse is refused with a status, and
   (under AddressSanitizer, see asan_test.go) never touches memory it must
   not. */
static void test_misuse(void) {
	miniav_stream_t s = 0;
	miniav_stream_info_t in;
	miniav_stream_stats_t st;
	miniav_frame_t f;
	CHECK_STATUS(miniav_open("testsrc:camera", NULL, 0, 0, NULL), MINIAV_ERR_INVALID);
	CHECK_STATUS(miniav_devices_json(NULL), MINIAV_ERR_INVALID);
	CHECK(strcmp(miniav_status_name(-12345), "MINIAV_ERR_UNKNOWN") == 0, "unknown status name %s", miniav_status_name(-12345));
	CHECK_STATUS(miniav_open("testsrc:camera", "160x120@1 gray8", 2, MINIAV_POLICY_DROP_OLDEST, &s), MINIAV_OK);
	CHECK_STATUS(miniav_stream_info(s, NULL), MINIAV_ERR_INVALID);
	CHECK_STATUS(miniav_stream_stats(s, NULL), MINIAV_ERR_INVALID);
	CHECK_STATUS(miniav_next_frame(s, 0, NULL), MINIAV_ERR_INVALID);
	CHECK_STATUS(miniav_stream_info(UINT64_MAX, &in), MINIAV_ERR_INVALID);
	CHECK_STATUS(miniav_stream_stats(s + 1000, &st), MINIAV_ERR_INVALID);
	CHECK_STATUS(miniav_next_frame(0, 0, &f), MINIAV_ERR_INVALID);
	CHECK(f.planes[0] == NULL && f.handle == 0, "frame set by a failed next_frame");

	/* A frame handle forged from a live one, released twice, and stale
	   copies of it after its stream closed. */
	CHECK_STATUS(miniav_next_frame(s, 5000, &f), MINIAV_OK);
	miniav_frame_t forged = f, copy = f;
	forged.handle += 1000;
	CHECK_STATUS(miniav_frame_release(&forged), MINIAV_ERR_RELEASED);
	CHECK_STATUS(miniav_stream_stats(s, &st), MINIAV_OK);
	CHECK(st.outstanding == 1, "outstanding %" PRId64 " after a forged release", st.outstanding);
	CHECK(f.planes[0][0] == copy.planes[0][0], "plane readable"); /* still lent */

	/* Close while another thread waits without a timeout (1 fps: the next
	   frame is a second away): the waiter returns CLOSED at once. */
	struct frame_waiter w = {.s = s};
	pthread_t tw;
	pthread_create(&tw, NULL, wait_frame, &w);
	sleep_ms(100);
	double closed = now_ms();
	CHECK_STATUS(miniav_close(s), MINIAV_OK);
	pthread_join(tw, NULL);
	CHECK_STATUS(w.status, MINIAV_ERR_CLOSED);
	CHECK(w.returned_ms - closed < 2000, "next_frame returned %.1f ms after close", w.returned_ms - closed);

	/* The frame held across close is still valid; then stale everywhere. */
	CHECK(f.lengths[0] == 160 * 120 && stamp(&f) == (int64_t)(uint32_t)f.sequence, "held frame after close");
	CHECK_STATUS(miniav_frame_release(&f), MINIAV_OK);
	CHECK_STATUS(miniav_frame_release(&f), MINIAV_ERR_RELEASED);
	CHECK_STATUS(miniav_frame_release(&copy), MINIAV_ERR_RELEASED);
	CHECK_STATUS(miniav_frame_release(&copy), MINIAV_ERR_RELEASED);
	CHECK_STATUS(miniav_stream_info(s, &in), MINIAV_ERR_CLOSED);
	CHECK_STATUS(miniav_next_frame(s, -1, &f), MINIAV_ERR_CLOSED); /* does not block */
	CHECK_STATUS(miniav_close(s), MINIAV_OK);
	CHECK_STATUS(miniav_watch_close(s), MINIAV_ERR_INVALID);

	/* Many threads race next_frame, release and close on one stream. */
	CHECK_STATUS(miniav_open("testsrc:camera", "160x120@200 gray8", 2, MINIAV_POLICY_DROP_OLDEST, &s), MINIAV_OK);
	struct frame_waiter ws[4];
	pthread_t ts[4];
	for (int i = 0; i < 4; i++) {
		ws[i] = (struct frame_waiter){.s = s};
		pthread_create(&ts[i], NULL, wait_frame, &ws[i]);
	}
	sleep_ms(150);
	CHECK_STATUS(miniav_close(s), MINIAV_OK);
	for (int i = 0; i < 4; i++) {
		pthread_join(ts[i], NULL);
		CHECK_STATUS(ws[i].status, MINIAV_ERR_CLOSED);
	}

#ifdef MINIAV_ASAN_CANARY
	/* The sanitizer's own check: read one byte past a string the library
	   allocated. The run must fail with heap-buffer-overflow. */
	char *js = NULL;
	CHECK_STATUS(miniav_devices_json(&js), MINIAV_OK);
	volatile char past = js[strlen(js) + 1];
	printf("canary read %d\n", past);
	miniav_free(js);
#endif
}

static void test_watch(void) {
	char ev[4096];
	miniav_watch_t w = 0;
	plug("");
	/* No polling: the cabitest backend notifies its changes, as v4l2 does. */
	CHECK_STATUS(miniav_watch_open(" camera, microphone", -1, &w), MINIAV_OK);
	CHECK(w != 0, "watch handle 0");

	CHECK_STATUS(miniav_watch_next(w, 0, &(char *){NULL}), MINIAV_ERR_TIMEOUT);
	double t0 = now_ms();
	char *js = (char *)"not touched";
	CHECK_STATUS(miniav_watch_next(w, 150, &js), MINIAV_ERR_TIMEOUT);
	double took = now_ms() - t0;
	CHECK(took >= 145 && took < 2000, "timeout of 150 ms took %.1f ms", took);
	CHECK(js == NULL, "event_json not NULL after a timeout");
	CHECK(strstr(miniav_last_error(), "no event within 150 ms") != NULL, "timeout message: %s", miniav_last_error());

	/* A display (not watched) and a camera appear: one event, the camera's. */
	plug("display hotscreen\ncamera hotcam Hot-plug camera\n");
	CHECK_STATUS(next_test_event(w, 5000, ev, sizeof ev), MINIAV_OK);
	CHECK(strcmp(ev, "{\"op\":\"added\",\"device\":{\"id\":\"cabitest:hotcam\",\"name\":\"Hot-plug camera\",\"kind\":\"camera\","
	                 "\"backend\":\"cabitest\",\"default\":false,\"formats\":[],\"attrs\":{\"test\":\"hot-plug\"}}}") == 0,
	      "added event %s", ev);
	plug("display hotscreen\n");
	CHECK_STATUS(next_test_event(w, 5000, ev, sizeof ev), MINIAV_OK);
	CHECK(strstr(ev, "{\"op\":\"removed\",\"device\":{\"id\":\"cabitest:hotcam\",\"name\":\"Hot-plug camera\",\"kind\":\"camera\",") == ev,
	      "removed event %s", ev);
	/* Nothing else: the display is not watched, the camera reported once. */
	CHECK_STATUS(next_test_event(w, 300, ev, sizeof ev), MINIAV_ERR_TIMEOUT);

	/* An enumeration error does not end the watch: the next timeout
	   reports it, once. */
	plug("!cabitest: enumeration failed on purpose\n");
	int st;
	double until = now_ms() + 5000;
	while ((st = next_test_event(w, 100, ev, sizeof ev)) == MINIAV_ERR_TIMEOUT && now_ms() < until &&
	       strstr(miniav_last_error(), "failed on purpose") == NULL) {
	}
	CHECK_STATUS(st, MINIAV_ERR_TIMEOUT);
	CHECK(strstr(miniav_last_error(), "no event within") != NULL && strstr(miniav_last_error(), "failed on purpose") != NULL,
	      "enumeration error with the timeout: %s", miniav_last_error());
	CHECK_STATUS(miniav_watch_next(w, 0, &js), MINIAV_ERR_TIMEOUT);
	CHECK(strstr(miniav_last_error(), "failed on purpose") == NULL, "enumeration error reported twice: %s", miniav_last_error());
	plug("microphone hotmic\n");
	CHECK_STATUS(next_test_event(w, 5000, ev, sizeof ev), MINIAV_OK);
	CHECK(strstr(ev, "{\"op\":\"added\",\"device\":{\"id\":\"cabitest:hotmic\",") == ev, "added after the error: %s", ev);

	/* Close from another thread wakes a waiting miniav_watch_next. */
	struct waiter a = {.w = w};
	pthread_t ta;
	pthread_create(&ta, NULL, wait_event, &a);
	sleep_ms(200);
	double closed = now_ms();
	CHECK_STATUS(miniav_watch_close(w), MINIAV_OK);
	pthread_join(ta, NULL);
	CHECK_STATUS(a.status, MINIAV_ERR_CLOSED);
	CHECK(a.returned_ms - closed < 2000, "next returned %.1f ms after close", a.returned_ms - closed);
	CHECK(strstr(a.err, "closed") != NULL, "waiter's error: %s", a.err);

	CHECK_STATUS(miniav_watch_close(w), MINIAV_OK); /* idempotent, like miniav_close */
	js = (char *)"not touched";
	CHECK_STATUS(miniav_watch_next(w, 0, &js), MINIAV_ERR_CLOSED);
	CHECK(js == NULL, "event_json not NULL on a closed watch");
	CHECK_STATUS(miniav_watch_next(w, -1, &js), MINIAV_ERR_CLOSED); /* does not block */

	/* Bad handles and arguments. Stream and watch handles never mix. */
	miniav_stream_t s = 0;
	CHECK_STATUS(miniav_open("testsrc:camera", "160x120@30 gray8", 0, 0, &s), MINIAV_OK);
	CHECK(s != w, "stream handle %" PRIu64 " == watch handle", s);
	CHECK_STATUS(miniav_watch_next(s, 0, &js), MINIAV_ERR_INVALID);
	CHECK(strstr(miniav_last_error(), "no watch") != NULL, "unknown watch message: %s", miniav_last_error());
	CHECK_STATUS(miniav_watch_close(s), MINIAV_ERR_INVALID);
	CHECK_STATUS(miniav_close(w), MINIAV_ERR_INVALID);
	CHECK_STATUS(miniav_close(s), MINIAV_OK);
	CHECK_STATUS(miniav_watch_close(0), MINIAV_ERR_INVALID);
	CHECK_STATUS(miniav_watch_close(w + 1000), MINIAV_ERR_INVALID);
	CHECK_STATUS(miniav_watch_next(w + 1000, 0, &js), MINIAV_ERR_INVALID);
	miniav_watch_t bad = 0;
	CHECK_STATUS(miniav_watch_open("camera,telescope", 0, &bad), MINIAV_ERR_INVALID);
	CHECK(strstr(miniav_last_error(), "\"telescope\"") != NULL, "bad kind message: %s", miniav_last_error());
	CHECK_STATUS(miniav_watch_open("camera,", 0, &bad), MINIAV_ERR_INVALID);
	CHECK_STATUS(miniav_watch_open("Camera", 0, &bad), MINIAV_ERR_INVALID);
	CHECK(bad == 0, "watch handle set on failure");
	CHECK_STATUS(miniav_watch_open(NULL, 0, NULL), MINIAV_ERR_INVALID);

	/* Every kind, default interval; every kind, polling. */
	miniav_watch_t all = 0, polled = 0;
	CHECK_STATUS(miniav_watch_open(NULL, 0, &all), MINIAV_OK);
	CHECK_STATUS(miniav_watch_open("", 20, &polled), MINIAV_OK);
	CHECK(all != polled && all != 0 && polled != 0, "watch handles %" PRIu64 " %" PRIu64, all, polled);
	CHECK_STATUS(miniav_watch_next(all, 0, NULL), MINIAV_ERR_INVALID);
	plug("loopback hotloop\n");
	CHECK_STATUS(next_test_event(polled, 5000, ev, sizeof ev), MINIAV_OK);
	CHECK(strstr(ev, "{\"op\":\"added\",\"device\":{\"id\":\"cabitest:hotloop\",") == ev && strstr(ev, "\"kind\":\"loopback\""),
	      "every kind, first: %s", ev);
	CHECK_STATUS(next_test_event(polled, 5000, ev, sizeof ev), MINIAV_OK);
	CHECK(strstr(ev, "{\"op\":\"removed\",\"device\":{\"id\":\"cabitest:hotmic\",") == ev, "every kind, second: %s", ev);
	CHECK_STATUS(miniav_watch_close(all), MINIAV_OK);
	CHECK_STATUS(miniav_watch_close(polled), MINIAV_OK);
	plug("");
}

int main(void) {
	load_bars();
	test_library();
	test_video();
	test_hold_across_close();
	test_audio();
	test_errors();
	test_threads();
	test_watch();
	test_misuse();
	if (failures > 0) {
		fprintf(stderr, "FAIL %d of %d checks\n", failures, checks);
		return 1;
	}
	printf("PASS %d checks\n", checks);
	return 0;
}
