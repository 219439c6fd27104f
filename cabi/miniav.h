/*
 * miniav.h - the C ABI of miniav (github.com/miniav-go/miniav).
 *
 * Build the library with
 *
 *     go build -buildmode=c-shared -o libminiav.so ./cabi
 *
 * (libminiav.dylib on macOS, miniav.dll on Windows) and include this header;
 * link with -lminiav. The header Go generates next to the library
 * (libminiav.h) declares the same functions without const qualifiers; this
 * hand-written one is the stable, documented interface.
 *
 * Conventions
 *  - Every function that can fail returns an int status: MINIAV_OK (0) or a
 *    negative MINIAV_ERR_* code. On failure miniav_last_error() returns a
 *    message for the calling thread.
 *  - Streams and watches are opaque 64-bit handles (never 0). Handles are
 *    never reused, so a stale handle is detected, never confused with a
 *    newer stream or watch.
 *  - Frame data is lent, not copied: the plane pointers of a miniav_frame_t
 *    point into the device's memory (or a pooled buffer, pinned for the Go
 *    garbage collector) and stay valid until miniav_frame_release. Release
 *    every frame exactly once; a second release returns MINIAV_ERR_RELEASED
 *    and touches nothing.
 *  - All functions are safe to call from any thread. Several threads may
 *    call miniav_next_frame on one stream; each frame goes to one of them.
 */
#ifndef MINIAV_H
#define MINIAV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MINIAV_ABI_VERSION 1

/* Status codes. The errors mirror miniav's Go sentinel errors. */
enum miniav_status {
	MINIAV_OK = 0,
	MINIAV_ERR_NOT_FOUND = -1,         /* no such device or backend */
	MINIAV_ERR_NOT_SUPPORTED = -2,     /* the device cannot deliver the format */
	MINIAV_ERR_BUSY = -3,              /* another process holds the device */
	MINIAV_ERR_DEVICE_LOST = -4,       /* the device went away during capture */
	MINIAV_ERR_PERMISSION_DENIED = -5, /* the OS refused access */
	MINIAV_ERR_CLOSED = -6,            /* the stream is closed */
	MINIAV_ERR_RELEASED = -7,          /* the frame was already released */
	MINIAV_ERR_INVALID = -8,           /* a bad argument (format, handle, NULL) */
	MINIAV_ERR_TIMEOUT = -9,           /* no frame within the timeout */
	MINIAV_ERR_OTHER = -10             /* anything else; see miniav_last_error */
};

/* Backpressure policies (the `policy` argument of miniav_open). */
enum miniav_policy {
	MINIAV_POLICY_DROP_OLDEST = 0, /* evict the oldest queued frame (default) */
	MINIAV_POLICY_DROP_NEWEST = 1, /* refuse the new frame */
	MINIAV_POLICY_BLOCK = 2        /* capture waits for the consumer */
};

/* Frame kinds. */
enum miniav_kind {
	MINIAV_KIND_NONE = 0,
	MINIAV_KIND_VIDEO = 1,
	MINIAV_KIND_AUDIO = 2
};

/* Device kinds (miniav_stream_info_t.device_kind; "kind" in the JSON). */
enum miniav_device_kind {
	MINIAV_DEVICE_UNKNOWN = 0,
	MINIAV_DEVICE_CAMERA = 1,
	MINIAV_DEVICE_DISPLAY = 2,
	MINIAV_DEVICE_WINDOW = 3,
	MINIAV_DEVICE_MICROPHONE = 4,
	MINIAV_DEVICE_LOOPBACK = 5
};

/* Audio sample formats: little-endian, interleaved. */
enum miniav_sample_format {
	MINIAV_SAMPLE_UNKNOWN = 0,
	MINIAV_SAMPLE_U8 = 1,
	MINIAV_SAMPLE_S16 = 2,
	MINIAV_SAMPLE_S24 = 3, /* packed in 3 bytes */
	MINIAV_SAMPLE_S32 = 4,
	MINIAV_SAMPLE_F32 = 5
};

/* Frame flags. */
#define MINIAV_FRAME_COPIED 0x1u /* copied out of device memory, not lent by it */

/* Pixel formats are little-endian FourCCs, the codes V4L2 uses. */
#define MINIAV_FOURCC(a, b, c, d) \
	((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
#define MINIAV_PIX_I420 MINIAV_FOURCC('Y', 'U', '1', '2')
#define MINIAV_PIX_I422 MINIAV_FOURCC('4', '2', '2', 'P')
#define MINIAV_PIX_NV12 MINIAV_FOURCC('N', 'V', '1', '2')
#define MINIAV_PIX_YUYV MINIAV_FOURCC('Y', 'U', 'Y', 'V')
#define MINIAV_PIX_UYVY MINIAV_FOURCC('U', 'Y', 'V', 'Y')
#define MINIAV_PIX_RGB24 MINIAV_FOURCC('R', 'G', 'B', '3')
#define MINIAV_PIX_BGR24 MINIAV_FOURCC('B', 'G', 'R', '3')
#define MINIAV_PIX_RGBA MINIAV_FOURCC('A', 'B', '2', '4')
#define MINIAV_PIX_BGRA MINIAV_FOURCC('A', 'R', '2', '4')
#define MINIAV_PIX_BGRX MINIAV_FOURCC('X', 'R', '2', '4')
#define MINIAV_PIX_GRAY8 MINIAV_FOURCC('G', 'R', 'E', 'Y')
#define MINIAV_PIX_MJPEG MINIAV_FOURCC('M', 'J', 'P', 'G')

/* An open stream. 0 is never a valid handle. */
typedef uint64_t miniav_stream_t;

/*
 * An open device watch (hot-plug). 0 is never a valid handle, and no
 * watch handle is ever a stream handle or the other way round.
 */
typedef uint64_t miniav_watch_t;

/*
 * One captured frame, filled by miniav_next_frame. The struct is the
 * caller's (on its stack, say); the memory its plane pointers point to is
 * the library's until miniav_frame_release.
 */
typedef struct miniav_frame {
	uint64_t handle;             /* identifies the lent frame; do not change */
	int32_t kind;                /* enum miniav_kind */
	uint32_t flags;              /* MINIAV_FRAME_* */
	uint64_t sequence;           /* device frame counter; audio: first sample frame */
	int64_t timestamp_ns;        /* capture time, one monotonic epoch for all streams */
	int64_t device_timestamp_ns; /* the device's own clock, or 0 */

	/* Video (kind == MINIAV_KIND_VIDEO). */
	int32_t width, height;
	uint32_t pixel_format; /* FourCC, MINIAV_PIX_* */
	int32_t num_planes;    /* 1..4; audio: 1 */
	const uint8_t *planes[4];
	int64_t strides[4]; /* bytes per row; audio: bytes per sample frame */
	int64_t lengths[4]; /* bytes in each plane */

	/* Audio (kind == MINIAV_KIND_AUDIO): samples are planes[0], lengths[0] bytes. */
	int32_t sample_rate;
	int32_t channels;
	int32_t sample_format; /* enum miniav_sample_format */
	int32_t frames;        /* sample frames (one sample per channel each) */

	uint64_t reserved[4];
} miniav_frame_t;

/* What a stream negotiated, filled by miniav_stream_info. */
typedef struct miniav_stream_info {
	int32_t device_kind; /* enum miniav_device_kind */
	int32_t policy;      /* enum miniav_policy */
	int32_t queue;       /* queue length */
	int32_t zero_copy;   /* 1 when frames are the device's own memory */
	/* Video. */
	int32_t width, height;
	uint32_t pixel_format;
	int32_t fps_num, fps_den; /* 0/0 when the source has no fixed rate */
	/* Audio. */
	int32_t sample_rate, channels, sample_format, period_frames;
	char device[256]; /* device ID, NUL-terminated, truncated if longer */
	char mode[32];    /* capture path: "mmap", "mit-shm", "synthetic", ... */
	uint64_t reserved[4];
} miniav_stream_info_t;

/* Drop reasons, the indexes of miniav_stream_stats_t.dropped. */
enum miniav_drop_reason {
	MINIAV_DROP_QUEUE_OLDEST = 0,
	MINIAV_DROP_QUEUE_NEWEST = 1,
	MINIAV_DROP_DEVICE = 2,
	MINIAV_DROP_OVERRUN = 3,
	MINIAV_DROP_POOL_EXHAUSTED = 4,
	MINIAV_DROP_ERROR = 5,
	MINIAV_DROP_STOPPED = 6,
	MINIAV_DROP_NETWORK = 7, /* discarded by a sender whose network could not keep up */
	MINIAV_DROP_REASONS = 8 /* size of the array (room to grow) */
};

/* A snapshot of a stream's counters, filled by miniav_stream_stats. */
typedef struct miniav_stream_stats {
	uint64_t captured;     /* frames read from the device */
	uint64_t delivered;    /* frames handed to the queue */
	uint64_t dropped_total;
	uint64_t dropped[MINIAV_DROP_REASONS];
	uint64_t leaked;
	uint64_t copied;
	uint64_t release_errors; /* releases of already-released frames */
	int64_t outstanding;     /* frames queued or held by the caller */
	int64_t queued;          /* frames waiting in the queue */
	uint64_t reserved[4];
} miniav_stream_stats_t;

#if !defined(MINIAV_NO_PROTOTYPES)

#if defined(_WIN32) && !defined(MINIAV_STATIC)
#define MINIAV_API __declspec(dllimport)
#else
#define MINIAV_API
#endif

/* The library version, e.g. "0.1.0 (abi 1)". Static; do not free. */
MINIAV_API const char *miniav_version(void);

/* The ABI version the library implements (MINIAV_ABI_VERSION). */
MINIAV_API int miniav_abi_version(void);

/*
 * The message of the last error on the calling thread, or "" if none.
 * Valid until the next failing call on this thread. Do not free.
 */
MINIAV_API const char *miniav_last_error(void);

/* A static name for a status code ("MINIAV_ERR_NOT_FOUND"). */
MINIAV_API const char *miniav_status_name(int status);

/*
 * Lists the devices of every backend as a JSON array of objects with the
 * keys id, name, kind ("camera", "microphone", ...), backend, default,
 * formats (strings) and attrs. *out receives a NUL-terminated string the
 * caller frees with miniav_free. A backend that fails to enumerate is
 * left out; the call fails only when no device was found and a backend
 * failed.
 */
MINIAV_API int miniav_devices_json(char **out);

/* Frees memory the library allocated for the caller. NULL is fine. */
MINIAV_API void miniav_free(void *p);

/*
 * Opens device `id` ("testsrc:camera", "v4l2:/dev/video0",
 * "testsrc:microphone?freq=1000") and starts capture.
 *
 * format: NULL or "" for the device's default, a video format such as
 *   "640x480@30 i420", "1280x720 nv12", "rgba", or an audio format such as
 *   "48000 2ch f32", "44.1k mono s16". Unparsable: MINIAV_ERR_INVALID; a
 *   format the device cannot deliver: MINIAV_ERR_NOT_SUPPORTED.
 * queue: frames that may wait for the consumer; 0 for the default (4).
 * policy: enum miniav_policy.
 * out: receives the stream handle.
 */
MINIAV_API int miniav_open(const char *id, const char *format, int queue, int policy,
                           miniav_stream_t *out);

/* Fills *out with what the stream negotiated. */
MINIAV_API int miniav_stream_info(miniav_stream_t s, miniav_stream_info_t *out);

/* Fills *out with the stream's counters. */
MINIAV_API int miniav_stream_stats(miniav_stream_t s, miniav_stream_stats_t *out);

/*
 * Waits for the next frame and fills *out. timeout_ms < 0 waits forever,
 * 0 polls. Returns MINIAV_OK (release the frame later),
 * MINIAV_ERR_TIMEOUT, MINIAV_ERR_CLOSED (closed, no more frames),
 * MINIAV_ERR_DEVICE_LOST (the device went away; frames captured before
 * were delivered first) or another error that stopped the stream.
 */
MINIAV_API int miniav_next_frame(miniav_stream_t s, int timeout_ms, miniav_frame_t *out);

/*
 * Gives the frame's memory back. Its plane pointers are invalid afterwards.
 * Releasing twice returns MINIAV_ERR_RELEASED and changes nothing. The
 * struct is cleared (kind MINIAV_KIND_NONE, pointers NULL) on success.
 */
MINIAV_API int miniav_frame_release(miniav_frame_t *frame);

/*
 * Stops capture and frees the stream. Frames still held stay valid until
 * released. Idempotent: closing a closed stream returns MINIAV_OK. Other
 * calls on a closed stream return MINIAV_ERR_CLOSED.
 */
MINIAV_API int miniav_close(miniav_stream_t s);

/*
 * Hot-plug. A watch reports devices that appear and disappear after it was
 * opened: list the devices with miniav_devices_json once the watch is
 * open, then call miniav_watch_next for the changes.
 */

/* How often a watch enumerates when miniav_watch_open's interval_ms is 0. */
#define MINIAV_WATCH_DEFAULT_INTERVAL_MS 1000

/*
 * Opens a watch and takes a first inventory (not reported as events).
 *
 * kinds: NULL or "" for devices of every kind, else comma-separated kind
 *   names (spaces around a name are ignored): "camera", "display",
 *   "window", "microphone", "loopback", e.g. "camera,microphone". An
 *   unknown name: MINIAV_ERR_INVALID.
 * interval_ms: how often to enumerate every backend. 0 for the default
 *   (MINIAV_WATCH_DEFAULT_INTERVAL_MS); < 0 for no polling: changes are
 *   then found only when a backend notifies one (v4l2 watches /dev), and
 *   the devices of backends that do not notify are never reported. (Go's
 *   devices.WithInterval(0) is interval_ms < 0 here.) Whatever the
 *   interval, a backend's notification makes the watch enumerate within
 *   about 100 ms.
 * out: receives the watch handle.
 */
MINIAV_API int miniav_watch_open(const char *kinds, int64_t interval_ms, miniav_watch_t *out);

/*
 * Waits for the next change and sets *event_json to a NUL-terminated JSON
 * object the caller frees with miniav_free:
 *
 *     {"op":"added","device":{"id":"v4l2:/dev/video2","name":...}}
 *
 * "op" is "added" or "removed"; "device" has the keys of one element of
 * miniav_devices_json (a removed device as it was last listed). A device
 * whose ID both disappears and reappears between two enumerations is not
 * reported. timeout_ms < 0 waits forever, 0 polls. Returns MINIAV_OK,
 * MINIAV_ERR_TIMEOUT, or MINIAV_ERR_CLOSED once the watch is closed
 * (also when miniav_watch_close is called while this call waits: it
 * returns at once). *event_json is NULL unless MINIAV_OK.
 *
 * A backend failing to enumerate does not end the watch and is not
 * returned as an error (its devices are kept as they were: an error is
 * not a removal). The latest such error is reported with the next
 * MINIAV_ERR_TIMEOUT, in miniav_last_error(), once. Several threads may
 * wait on one watch; each event goes to one of them.
 */
MINIAV_API int miniav_watch_next(miniav_watch_t watch, int64_t timeout_ms, char **event_json);

/*
 * Stops the watch, waits until its goroutines are gone and frees the
 * handle; a miniav_watch_next waiting on it returns MINIAV_ERR_CLOSED.
 * Idempotent like miniav_close: closing a closed watch returns MINIAV_OK.
 * A handle never issued returns MINIAV_ERR_INVALID.
 */
MINIAV_API int miniav_watch_close(miniav_watch_t watch);

#endif /* !MINIAV_NO_PROTOTYPES */

#ifdef __cplusplus
}
#endif

#endif /* MINIAV_H */
