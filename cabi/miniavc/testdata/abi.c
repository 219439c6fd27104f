/*
 * The layouts of the MiniAV 0.7 public structs on x86-64 (LP64), as
 * measured with offsetof/sizeof against the 0.7 headers
 * (/work/shared/research/miniav-c-api.md, section 1.3): compiling this file
 * against include/ checks that miniav's headers give the same ABI. On other
 * targets only the enum values are checked.
 */
#include <stddef.h>
#include <stdio.h>

#include "miniav.h"
#include "miniav_playback.h"
#include "miniav_ext.h" /* miniav's extension, not 0.7: its layout is this library's own */

#define SIZE(T, n) _Static_assert(sizeof(T) == (n), "sizeof " #T)
#define ALIGN(T, n) _Static_assert(_Alignof(T) == (n), "alignof " #T)
#define OFF(T, f, n) _Static_assert(offsetof(T, f) == (n), "offsetof " #T "." #f)
#define VAL(e, n) _Static_assert((e) == (n), #e)

#if defined(__x86_64__) && !defined(_WIN32)
SIZE(MiniAVDeviceInfo, 513);
ALIGN(MiniAVDeviceInfo, 1);
OFF(MiniAVDeviceInfo, device_id, 0);
OFF(MiniAVDeviceInfo, name, 256);
OFF(MiniAVDeviceInfo, is_default, 512);

SIZE(MiniAVVideoInfo, 24);
ALIGN(MiniAVVideoInfo, 4);
OFF(MiniAVVideoInfo, width, 0);
OFF(MiniAVVideoInfo, height, 4);
OFF(MiniAVVideoInfo, pixel_format, 8);
OFF(MiniAVVideoInfo, frame_rate_numerator, 12);
OFF(MiniAVVideoInfo, frame_rate_denominator, 16);
OFF(MiniAVVideoInfo, output_preference, 20);

SIZE(MiniAVAudioInfo, 16);
ALIGN(MiniAVAudioInfo, 4);
OFF(MiniAVAudioInfo, format, 0);
OFF(MiniAVAudioInfo, sample_rate, 4);
OFF(MiniAVAudioInfo, channels, 8);
OFF(MiniAVAudioInfo, num_frames, 12);
_Static_assert(sizeof(((MiniAVAudioInfo *)0)->channels) == 1, "channels is uint8_t");

SIZE(MiniAVVideoPlane, 40);
ALIGN(MiniAVVideoPlane, 8);
OFF(MiniAVVideoPlane, data_ptr, 0);
OFF(MiniAVVideoPlane, width, 8);
OFF(MiniAVVideoPlane, height, 12);
OFF(MiniAVVideoPlane, stride_bytes, 16);
OFF(MiniAVVideoPlane, offset_bytes, 20);
OFF(MiniAVVideoPlane, subresource_index, 24);
OFF(MiniAVVideoPlane, dmabuf_fd, 28);
OFF(MiniAVVideoPlane, drm_format_modifier, 32);

SIZE(MiniAVBuffer, 264);
ALIGN(MiniAVBuffer, 8);
OFF(MiniAVBuffer, type, 0);
OFF(MiniAVBuffer, content_type, 4);
OFF(MiniAVBuffer, timestamp_us, 8);
OFF(MiniAVBuffer, data, 16);
_Static_assert(sizeof(((MiniAVBuffer *)0)->data) == 192, "MiniAVBuffer.data is 192 bytes");
OFF(MiniAVBuffer, data.video.info, 16);
OFF(MiniAVBuffer, data.video.num_planes, 40);
OFF(MiniAVBuffer, data.video.planes, 48);
OFF(MiniAVBuffer, data.video.planes[1], 88);
OFF(MiniAVBuffer, data.video.planes[3], 168);
OFF(MiniAVBuffer, data.audio.frame_count, 16);
OFF(MiniAVBuffer, data.audio.info, 20);
OFF(MiniAVBuffer, data.audio.data, 40);
OFF(MiniAVBuffer, data_size_bytes, 208);
OFF(MiniAVBuffer, user_data, 216);
OFF(MiniAVBuffer, internal_handle, 224);
OFF(MiniAVBuffer, native_fence, 232);
OFF(MiniAVBuffer, native_fence.sync_fd, 232);
OFF(MiniAVBuffer, native_fence.d3d11_fence, 240);
OFF(MiniAVBuffer, native_fence.metal_shared_event, 248);
OFF(MiniAVBuffer, native_fence.metal_fence_value, 256);

SIZE(MiniAVNativeBufferInternalPayload, 72);
ALIGN(MiniAVNativeBufferInternalPayload, 8);
OFF(MiniAVNativeBufferInternalPayload, handle_type, 0);
OFF(MiniAVNativeBufferInternalPayload, context_owner, 8);
OFF(MiniAVNativeBufferInternalPayload, native_singular_resource_ptr, 16);
OFF(MiniAVNativeBufferInternalPayload, native_planar_resource_ptrs, 24);
OFF(MiniAVNativeBufferInternalPayload, num_planar_resources_to_release, 56);
OFF(MiniAVNativeBufferInternalPayload, parent_miniav_buffer_ptr, 64);

SIZE(MiniAVLoopbackTargetInfo, 16);
ALIGN(MiniAVLoopbackTargetInfo, 8);
OFF(MiniAVLoopbackTargetInfo, type, 0);
OFF(MiniAVLoopbackTargetInfo, TARGETHANDLE, 8);
OFF(MiniAVLoopbackTargetInfo, TARGETHANDLE.process_id, 8);
OFF(MiniAVLoopbackTargetInfo, TARGETHANDLE.window_handle, 8);

SIZE(MiniAVKeyboardEvent, 24);
ALIGN(MiniAVKeyboardEvent, 8);
OFF(MiniAVKeyboardEvent, timestamp_us, 0);
OFF(MiniAVKeyboardEvent, key_code, 8);
OFF(MiniAVKeyboardEvent, scan_code, 12);
OFF(MiniAVKeyboardEvent, action, 16);

SIZE(MiniAVMouseEvent, 48);
ALIGN(MiniAVMouseEvent, 8);
OFF(MiniAVMouseEvent, timestamp_us, 0);
OFF(MiniAVMouseEvent, x, 8);
OFF(MiniAVMouseEvent, y, 12);
OFF(MiniAVMouseEvent, delta_x, 16);
OFF(MiniAVMouseEvent, delta_y, 20);
OFF(MiniAVMouseEvent, wheel_delta, 24);
OFF(MiniAVMouseEvent, wheel_delta_x, 28);
OFF(MiniAVMouseEvent, action, 32);
OFF(MiniAVMouseEvent, button, 36);
OFF(MiniAVMouseEvent, is_absolute, 40);

SIZE(MiniAVGamepadEvent, 32);
ALIGN(MiniAVGamepadEvent, 8);
OFF(MiniAVGamepadEvent, timestamp_us, 0);
OFF(MiniAVGamepadEvent, gamepad_index, 8);
OFF(MiniAVGamepadEvent, buttons, 12);
OFF(MiniAVGamepadEvent, left_stick_x, 14);
OFF(MiniAVGamepadEvent, left_stick_y, 16);
OFF(MiniAVGamepadEvent, right_stick_x, 18);
OFF(MiniAVGamepadEvent, right_stick_y, 20);
OFF(MiniAVGamepadEvent, left_trigger, 22);
OFF(MiniAVGamepadEvent, right_trigger, 23);
OFF(MiniAVGamepadEvent, connected, 24);

SIZE(MiniAVMotionEvent, 232);
ALIGN(MiniAVMotionEvent, 8);
OFF(MiniAVMotionEvent, timestamp_us, 0);
OFF(MiniAVMotionEvent, gyro, 8);
OFF(MiniAVMotionEvent, accel, 32);
OFF(MiniAVMotionEvent, linear_accel, 56);
OFF(MiniAVMotionEvent, gravity, 80);
OFF(MiniAVMotionEvent, magnetometer, 104);
OFF(MiniAVMotionEvent, has_magnetometer, 128);
OFF(MiniAVMotionEvent, orientation, 136);
OFF(MiniAVMotionEvent, ref, 168);
OFF(MiniAVMotionEvent, heading_deg, 176);
OFF(MiniAVMotionEvent, has_heading, 184);
OFF(MiniAVMotionEvent, screen_orientation, 192);
OFF(MiniAVMotionEvent, display, 224);

SIZE(MiniAVInputConfig, 64);
ALIGN(MiniAVInputConfig, 8);
OFF(MiniAVInputConfig, input_types, 0);
OFF(MiniAVInputConfig, mouse_throttle_hz, 4);
OFF(MiniAVInputConfig, gamepad_poll_hz, 8);
OFF(MiniAVInputConfig, keyboard_callback, 16);
OFF(MiniAVInputConfig, mouse_callback, 24);
OFF(MiniAVInputConfig, gamepad_callback, 32);
OFF(MiniAVInputConfig, user_data, 40);
OFF(MiniAVInputConfig, motion_rate_hz, 48);
OFF(MiniAVInputConfig, motion_mode, 52);
OFF(MiniAVInputConfig, motion_callback, 56);
#endif

/* Enums are int-sized, with the 0.7 values. */
SIZE(MiniAVResultCode, 4);
SIZE(MiniAVPixelFormat, 4);
SIZE(MiniAVBufferContentType, 4);
VAL(MINIAV_ERROR_INVALID_HANDLE, -7);
VAL(MINIAV_ERROR_NOT_SUPPORTED, -5);
VAL(MINIAV_ERROR_NOT_CONFIGURED, -18);
VAL(MINIAV_ERROR_PERMISSION_DENIED, -23);
VAL(MINIAV_PIXEL_FORMAT_I420, 11);
VAL(MINIAV_PIXEL_FORMAT_YUY2, 15);
VAL(MINIAV_PIXEL_FORMAT_GRAY8, 25);
VAL(MINIAV_PIXEL_FORMAT_MJPEG, 35);
VAL(MINIAV_PIXEL_FORMAT_COUNT, 36);
VAL(MINIAV_AUDIO_FORMAT_F64, 5);
VAL(MINIAV_BUFFER_CONTENT_TYPE_GPU_AHARDWAREBUFFER, 4);
VAL(MINIAV_NATIVE_HANDLE_TYPE_AUDIO, 3);
VAL(MINIAV_LOOPBACK_TARGET_WINDOW, 3);
VAL(MINIAV_LOG_LEVEL_NONE, 5);
VAL(MINIAV_DEVICE_CHANGE_DEFAULT_CHANGED, 2);
VAL(MINIAV_INPUT_TYPE_MOTION, 8);
VAL(MINIAV_MOUSE_BUTTON_X2, 5);
VAL(MINIAV_MOUSE_ACTION_WHEEL, 3);
VAL(MINIAV_DISPLAY_ROTATION_270, 3);

/* miniav_ext.h (not in 0.7). */
SIZE(MiniAVPropertyInfo, 312);
OFF(MiniAVPropertyInfo, name, 8);
OFF(MiniAVPropertyInfo, min_value, 264);
OFF(MiniAVPropertyInfo, current_value, 296);
OFF(MiniAVPropertyInfo, flags, 304);
OFF(MiniAVPropertyInfo, menu_count, 308);
VAL(MINIAV_PROPERTY_TYPE_INTEGER, 1);
VAL(MINIAV_PROPERTY_TYPE_OTHER, 9);

int main(void) {
	/* The arrays handed out have a 513-byte stride: element 1's id is at 513. */
	MiniAVDeviceInfo two[2];
	if ((char *)&two[1].device_id - (char *)&two[0] != 513) {
		puts("FAIL: MiniAVDeviceInfo stride");
		return 1;
	}
	puts("ABI OK");
	return 0;
}
