/*
 * miniav's MiniAV 0.7 compatible C API: value types.
 *
 * Written for miniav (the Go library) to be ABI-identical to MiniAV 0.7's
 * public headers on every platform: the same enum values, the same struct
 * fields in the same order with the same types. The layouts on x86-64 are
 * checked by cabi/miniavc/testdata/abi.c.
 */
#ifndef MINIAV_TYPES_H
#define MINIAV_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every function returns one of these (0 or negative). */
typedef enum {
	MINIAV_SUCCESS = 0,
	MINIAV_ERROR_UNKNOWN = -1,
	MINIAV_ERROR_INVALID_ARG = -2,
	MINIAV_ERROR_NOT_INITIALIZED = -3,
	MINIAV_ERROR_SYSTEM_CALL_FAILED = -4,
	MINIAV_ERROR_NOT_SUPPORTED = -5,
	MINIAV_ERROR_BUFFER_TOO_SMALL = -6,
	MINIAV_ERROR_INVALID_HANDLE = -7,
	MINIAV_ERROR_DEVICE_NOT_FOUND = -8,
	MINIAV_ERROR_DEVICE_BUSY = -9,
	MINIAV_ERROR_ALREADY_RUNNING = -10,
	MINIAV_ERROR_NOT_RUNNING = -11,
	MINIAV_ERROR_OUT_OF_MEMORY = -12,
	MINIAV_ERROR_TIMEOUT = -13,
	MINIAV_ERROR_DEVICE_LOST = -14,
	MINIAV_ERROR_FORMAT_NOT_SUPPORTED = -15,
	MINIAV_ERROR_INVALID_OPERATION = -16,
	MINIAV_ERROR_NOT_IMPLEMENTED = -17,
	MINIAV_ERROR_NOT_CONFIGURED = -18,
	MINIAV_ERROR_PORTAL_FAILED = -19,
	MINIAV_ERROR_STREAM_FAILED = -20,
	MINIAV_ERROR_PORTAL_CLOSED = -21,
	MINIAV_ERROR_USER_CANCELLED = -22,
	MINIAV_ERROR_PERMISSION_DENIED = -23
} MiniAVResultCode;

#define MINIAV_DEVICE_ID_MAX_LEN 256
#define MINIAV_DEVICE_NAME_MAX_LEN 256
#define MINIAV_VIDEO_FORMAT_MAX_PLANES 4

/* One device; lists of them are arrays with a 513-byte stride. With this
 * library device_id is miniav's device ID ("testsrc:camera",
 * "v4l2:/dev/video0", "x11::0", "pulse:...").
 */
typedef struct {
	char device_id[MINIAV_DEVICE_ID_MAX_LEN];
	char name[MINIAV_DEVICE_NAME_MAX_LEN];
	bool is_default;
} MiniAVDeviceInfo;

typedef enum {
	MINIAV_PIXEL_FORMAT_UNKNOWN = 0,
	MINIAV_PIXEL_FORMAT_RGB24 = 1,
	MINIAV_PIXEL_FORMAT_BGR24 = 2,
	MINIAV_PIXEL_FORMAT_RGBA32 = 3,
	MINIAV_PIXEL_FORMAT_BGRA32 = 4,
	MINIAV_PIXEL_FORMAT_ARGB32 = 5,
	MINIAV_PIXEL_FORMAT_ABGR32 = 6,
	MINIAV_PIXEL_FORMAT_RGBX32 = 7,
	MINIAV_PIXEL_FORMAT_BGRX32 = 8,
	MINIAV_PIXEL_FORMAT_XRGB32 = 9,
	MINIAV_PIXEL_FORMAT_XBGR32 = 10,
	MINIAV_PIXEL_FORMAT_I420 = 11,
	MINIAV_PIXEL_FORMAT_YV12 = 12,
	MINIAV_PIXEL_FORMAT_NV12 = 13,
	MINIAV_PIXEL_FORMAT_NV21 = 14,
	MINIAV_PIXEL_FORMAT_YUY2 = 15,
	MINIAV_PIXEL_FORMAT_UYVY = 16,
	MINIAV_PIXEL_FORMAT_RGB30 = 17,
	MINIAV_PIXEL_FORMAT_RGB48 = 18,
	MINIAV_PIXEL_FORMAT_RGBA64 = 19,
	MINIAV_PIXEL_FORMAT_RGBA64_HALF = 20,
	MINIAV_PIXEL_FORMAT_RGBA128_FLOAT = 21,
	MINIAV_PIXEL_FORMAT_YUV420_10BIT = 22,
	MINIAV_PIXEL_FORMAT_YUV422_10BIT = 23,
	MINIAV_PIXEL_FORMAT_YUV444_10BIT = 24,
	MINIAV_PIXEL_FORMAT_GRAY8 = 25,
	MINIAV_PIXEL_FORMAT_GRAY16 = 26,
	MINIAV_PIXEL_FORMAT_BAYER_GRBG8 = 27,
	MINIAV_PIXEL_FORMAT_BAYER_RGGB8 = 28,
	MINIAV_PIXEL_FORMAT_BAYER_BGGR8 = 29,
	MINIAV_PIXEL_FORMAT_BAYER_GBRG8 = 30,
	MINIAV_PIXEL_FORMAT_BAYER_GRBG16 = 31,
	MINIAV_PIXEL_FORMAT_BAYER_RGGB16 = 32,
	MINIAV_PIXEL_FORMAT_BAYER_BGGR16 = 33,
	MINIAV_PIXEL_FORMAT_BAYER_GBRG16 = 34,
	MINIAV_PIXEL_FORMAT_MJPEG = 35,
	MINIAV_PIXEL_FORMAT_COUNT = 36
} MiniAVPixelFormat;

/* Interleaved samples. */
typedef enum {
	MINIAV_AUDIO_FORMAT_UNKNOWN = 0,
	MINIAV_AUDIO_FORMAT_U8 = 1,
	MINIAV_AUDIO_FORMAT_S16 = 2,
	MINIAV_AUDIO_FORMAT_S32 = 3,
	MINIAV_AUDIO_FORMAT_F32 = 4,
	MINIAV_AUDIO_FORMAT_F64 = 5
} MiniAVAudioFormat;

typedef enum {
	MINIAV_CAPTURE_TYPE_DISPLAY = 0,
	MINIAV_CAPTURE_TYPE_WINDOW = 1,
	MINIAV_CAPTURE_TYPE_REGION = 2
} MiniAVCaptureType;

typedef enum {
	MINIAV_OUTPUT_PREFERENCE_CPU = 0,
	MINIAV_OUTPUT_PREFERENCE_GPU = 1
} MiniAVOutputPreference;

typedef struct {
	uint32_t width;
	uint32_t height;
	MiniAVPixelFormat pixel_format;
	uint32_t frame_rate_numerator;
	uint32_t frame_rate_denominator;
	MiniAVOutputPreference output_preference;
} MiniAVVideoInfo;

typedef struct {
	MiniAVAudioFormat format;
	uint32_t sample_rate;
	uint8_t channels;
	uint32_t num_frames; /* frames per buffer */
} MiniAVAudioInfo;

typedef enum MiniAVLoopbackTargetType {
	MINIAV_LOOPBACK_TARGET_NONE = 0,
	MINIAV_LOOPBACK_TARGET_SYSTEM_AUDIO = 1,
	MINIAV_LOOPBACK_TARGET_PROCESS = 2,
	MINIAV_LOOPBACK_TARGET_WINDOW = 3
} MiniAVLoopbackTargetType;

typedef struct MiniAVLoopbackTargetInfo {
	MiniAVLoopbackTargetType type;
	union {
		uint32_t process_id;
		void *window_handle;
	} TARGETHANDLE;
} MiniAVLoopbackTargetInfo;

/* Context handles: opaque, one type per module. */
typedef struct MiniAVCameraContext *MiniAVCameraContextHandle;
typedef struct MiniAVScreenContext *MiniAVScreenContextHandle;
typedef struct MiniAVAudioContext *MiniAVAudioContextHandle;
typedef struct MiniAVAudioOutputContext *MiniAVAudioOutputContextHandle;
typedef struct MiniAVLoopbackContext *MiniAVLoopbackContextHandle;
typedef struct MiniAVInputContext *MiniAVInputContextHandle;
typedef struct MiniAVInjectContext *MiniAVInjectContextHandle;

/* Input capture and injection (not supported by this library; the types
 * are here so that programs using them compile and link). */
typedef enum {
	MINIAV_INPUT_TYPE_KEYBOARD = 0x01,
	MINIAV_INPUT_TYPE_MOUSE = 0x02,
	MINIAV_INPUT_TYPE_GAMEPAD = 0x04,
	MINIAV_INPUT_TYPE_MOTION = 0x08
} MiniAVInputType;

typedef enum {
	MINIAV_KEY_ACTION_DOWN = 0,
	MINIAV_KEY_ACTION_UP = 1
} MiniAVKeyAction;

typedef enum {
	MINIAV_MOUSE_ACTION_MOVE = 0,
	MINIAV_MOUSE_ACTION_BUTTON_DOWN = 1,
	MINIAV_MOUSE_ACTION_BUTTON_UP = 2,
	MINIAV_MOUSE_ACTION_WHEEL = 3
} MiniAVMouseAction;

typedef enum {
	MINIAV_MOUSE_BUTTON_NONE = 0,
	MINIAV_MOUSE_BUTTON_LEFT = 1,
	MINIAV_MOUSE_BUTTON_RIGHT = 2,
	MINIAV_MOUSE_BUTTON_MIDDLE = 3,
	MINIAV_MOUSE_BUTTON_X1 = 4,
	MINIAV_MOUSE_BUTTON_X2 = 5
} MiniAVMouseButton;

typedef struct {
	uint64_t timestamp_us;
	uint32_t key_code;
	uint32_t scan_code;
	MiniAVKeyAction action;
} MiniAVKeyboardEvent;

typedef struct {
	uint64_t timestamp_us;
	int32_t x;
	int32_t y;
	int32_t delta_x;
	int32_t delta_y;
	int32_t wheel_delta;
	int32_t wheel_delta_x;
	MiniAVMouseAction action;
	MiniAVMouseButton button;
	bool is_absolute;
} MiniAVMouseEvent;

typedef struct {
	uint64_t timestamp_us;
	uint32_t gamepad_index;
	uint16_t buttons;
	int16_t left_stick_x;
	int16_t left_stick_y;
	int16_t right_stick_x;
	int16_t right_stick_y;
	uint8_t left_trigger;
	uint8_t right_trigger;
	bool connected;
} MiniAVGamepadEvent;

typedef struct {
	double x, y, z;
} MiniAVVec3;

/* A quaternion, scalar last. */
typedef struct {
	double x, y, z, w;
} MiniAVQuat;

typedef enum {
	MINIAV_MOTION_MODE_RAW_DEVICE_FRAME = 0,
	MINIAV_MOTION_MODE_FUSED_SCREEN_STABLE = 1
} MiniAVMotionMode;

typedef enum {
	MINIAV_ATTITUDE_REF_RELATIVE_DRIFT_FREE = 0,
	MINIAV_ATTITUDE_REF_ABSOLUTE_MAG_NORTH = 1
} MiniAVAttitudeRef;

/* Ordinals, not degrees. */
typedef enum {
	MINIAV_DISPLAY_ROTATION_0 = 0,
	MINIAV_DISPLAY_ROTATION_90 = 1,
	MINIAV_DISPLAY_ROTATION_180 = 2,
	MINIAV_DISPLAY_ROTATION_270 = 3
} MiniAVDisplayRotation;

typedef struct {
	uint64_t timestamp_us;
	MiniAVVec3 gyro;
	MiniAVVec3 accel;
	MiniAVVec3 linear_accel;
	MiniAVVec3 gravity;
	MiniAVVec3 magnetometer;
	bool has_magnetometer;
	MiniAVQuat orientation;
	MiniAVAttitudeRef ref;
	double heading_deg;
	bool has_heading;
	MiniAVQuat screen_orientation;
	MiniAVDisplayRotation display;
} MiniAVMotionEvent;

typedef void (*MiniAVKeyboardCallback)(const MiniAVKeyboardEvent *event, void *user_data);
typedef void (*MiniAVMouseCallback)(const MiniAVMouseEvent *event, void *user_data);
typedef void (*MiniAVGamepadCallback)(const MiniAVGamepadEvent *event, void *user_data);
typedef void (*MiniAVMotionCallback)(const MiniAVMotionEvent *event, void *user_data);

typedef struct {
	uint32_t input_types; /* MiniAVInputType bits */
	uint32_t mouse_throttle_hz;
	uint32_t gamepad_poll_hz;
	MiniAVKeyboardCallback keyboard_callback;
	MiniAVMouseCallback mouse_callback;
	MiniAVGamepadCallback gamepad_callback;
	void *user_data;
	/* The motion fields come last: read only with MINIAV_INPUT_TYPE_MOTION. */
	uint32_t motion_rate_hz;
	MiniAVMotionMode motion_mode;
	MiniAVMotionCallback motion_callback;
} MiniAVInputConfig;

typedef enum {
	MINIAV_LOG_LEVEL_TRACE = 0,
	MINIAV_LOG_LEVEL_DEBUG = 1,
	MINIAV_LOG_LEVEL_INFO = 2,
	MINIAV_LOG_LEVEL_WARN = 3,
	MINIAV_LOG_LEVEL_ERROR = 4,
	MINIAV_LOG_LEVEL_NONE = 5
} MiniAVLogLevel;

/* message is malloc'ed and belongs to the receiver: free it with
 * MiniAV_Free. Called from any library thread. */
typedef void (*MiniAVLogCallback)(MiniAVLogLevel level, const char *message, void *user_data);

#ifdef __cplusplus
}
#endif

#endif
