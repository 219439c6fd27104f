/*
 * miniav's MiniAV 0.7 compatible C API: capture, lifecycle and the modules
 * this library does not support (input capture and injection), which exist
 * so that every MiniAV program links; they return MINIAV_ERROR_NOT_SUPPORTED.
 *
 * Defining MINIAV_C_NO_PROTOTYPES before including leaves the function
 * declarations out (the library's own cgo code declares them itself).
 */
#ifndef MINIAV_CAPTURE_H
#define MINIAV_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "export.h"
#include "miniav_buffer.h"
#include "miniav_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Called on the context's own library thread, once per buffer. */
typedef void (*MiniAVBufferCallback)(const MiniAVBuffer *buffer, void *user_data);

typedef enum {
	MINIAV_DEVICE_CHANGE_ADDED = 0,
	MINIAV_DEVICE_CHANGE_REMOVED = 1,
	MINIAV_DEVICE_CHANGE_DEFAULT_CHANGED = 2
} MiniAVDeviceChangeEvent;

typedef void (*MiniAVDeviceChangeCallback)(MiniAVDeviceChangeEvent event, const MiniAVDeviceInfo *device,
                                           void *user_data);

/* reason is a MiniAVResultCode; capture has stopped when it is called. */
typedef void (*MiniAVContextLostCallback)(int reason, void *user_data);

#ifndef MINIAV_C_NO_PROTOTYPES

/* Common. */
MINIAV_API MiniAVResultCode MiniAV_GetVersion(uint32_t *major, uint32_t *minor, uint32_t *patch);
MINIAV_API const char *MiniAV_GetVersionString(void);
MINIAV_API MiniAVResultCode MiniAV_SetLogCallback(MiniAVLogCallback callback, void *user_data);
MINIAV_API MiniAVResultCode MiniAV_SetLogLevel(MiniAVLogLevel level);
MINIAV_API const char *MiniAV_GetErrorString(MiniAVResultCode code);
MINIAV_API MiniAVResultCode MiniAV_ReleaseBuffer(void *internal_handle);
MINIAV_API MiniAVResultCode MiniAV_Free(void *ptr);
MINIAV_API MiniAVResultCode MiniAV_FreeDeviceList(MiniAVDeviceInfo *devices, uint32_t count);
MINIAV_API MiniAVResultCode MiniAV_FreeFormatList(void *formats, uint32_t count);

/* Camera. */
MINIAV_API MiniAVResultCode MiniAV_Camera_EnumerateDevices(MiniAVDeviceInfo **devices, uint32_t *count);
MINIAV_API MiniAVResultCode MiniAV_Camera_GetSupportedFormats(const char *device_id, MiniAVVideoInfo **formats,
                                                              uint32_t *count);
MINIAV_API MiniAVResultCode MiniAV_Camera_GetDefaultFormat(const char *device_id, MiniAVVideoInfo *format_out);
MINIAV_API MiniAVResultCode MiniAV_Camera_GetConfiguredFormat(MiniAVCameraContextHandle context,
                                                              MiniAVVideoInfo *format_out);
MINIAV_API MiniAVResultCode MiniAV_Camera_CreateContext(MiniAVCameraContextHandle *context);
MINIAV_API MiniAVResultCode MiniAV_Camera_DestroyContext(MiniAVCameraContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_Camera_Configure(MiniAVCameraContextHandle context, const char *device_id,
                                                    const void *format);
MINIAV_API MiniAVResultCode MiniAV_Camera_StartCapture(MiniAVCameraContextHandle context,
                                                       MiniAVBufferCallback callback, void *user_data);
MINIAV_API MiniAVResultCode MiniAV_Camera_StopCapture(MiniAVCameraContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_Camera_SetDeviceChangeCallback(MiniAVDeviceChangeCallback callback,
                                                                  void *user_data);
MINIAV_API MiniAVResultCode MiniAV_Camera_SetContextLostCallback(MiniAVCameraContextHandle context,
                                                                 MiniAVContextLostCallback callback,
                                                                 void *user_data);

/* Screen. */
MINIAV_API MiniAVResultCode MiniAV_Screen_CreateContext(MiniAVScreenContextHandle *context);
MINIAV_API MiniAVResultCode MiniAV_Screen_EnumerateDisplays(MiniAVDeviceInfo **displays_out, uint32_t *count_out);
MINIAV_API MiniAVResultCode MiniAV_Screen_EnumerateWindows(MiniAVDeviceInfo **windows, uint32_t *count);
MINIAV_API MiniAVResultCode MiniAV_Screen_GetDefaultFormats(const char *display_id,
                                                            MiniAVVideoInfo *video_format_out,
                                                            MiniAVAudioInfo *audio_format_out);
MINIAV_API MiniAVResultCode MiniAV_Screen_DestroyContext(MiniAVScreenContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_Screen_ConfigureDisplay(MiniAVScreenContextHandle context,
                                                           const char *display_id, const MiniAVVideoInfo *format,
                                                           bool capture_audio);
MINIAV_API MiniAVResultCode MiniAV_Screen_ConfigureWindow(MiniAVScreenContextHandle context, const char *window_id,
                                                          const MiniAVVideoInfo *format, bool capture_audio);
MINIAV_API MiniAVResultCode MiniAV_Screen_ConfigureRegion(MiniAVScreenContextHandle context, const char *display_id,
                                                          int x, int y, int width, int height,
                                                          const MiniAVVideoInfo *format, bool capture_audio);
MINIAV_API MiniAVResultCode MiniAV_Screen_GetConfiguredFormats(MiniAVScreenContextHandle context,
                                                               MiniAVVideoInfo *video_format_out,
                                                               MiniAVAudioInfo *audio_format_out);
MINIAV_API MiniAVResultCode MiniAV_Screen_StartCapture(MiniAVScreenContextHandle context,
                                                       MiniAVBufferCallback callback, void *user_data);
MINIAV_API MiniAVResultCode MiniAV_Screen_StopCapture(MiniAVScreenContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_Screen_SetDisplayChangeCallback(MiniAVDeviceChangeCallback callback,
                                                                   void *user_data);
MINIAV_API MiniAVResultCode MiniAV_Screen_SetWindowChangeCallback(MiniAVDeviceChangeCallback callback,
                                                                  void *user_data);
MINIAV_API MiniAVResultCode MiniAV_Screen_SetContextLostCallback(MiniAVScreenContextHandle context,
                                                                 MiniAVContextLostCallback callback,
                                                                 void *user_data);
MINIAV_API MiniAVResultCode MiniAV_Screen_SetAndroidMediaProjection(void *jvm, void *media_projection);
MINIAV_API MiniAVResultCode MiniAV_Screen_SetIOSAppGroup(const char *app_group_id);
MINIAV_API MiniAVResultCode MiniAV_Screen_SetCaptureCursor(MiniAVScreenContextHandle context, bool enabled);

/* Audio capture. */
MINIAV_API MiniAVResultCode MiniAV_Audio_EnumerateDevices(MiniAVDeviceInfo **devices, uint32_t *count);
MINIAV_API MiniAVResultCode MiniAV_Audio_GetSupportedFormats(const char *device_id, MiniAVAudioInfo **formats_out,
                                                             uint32_t *count_out);
MINIAV_API MiniAVResultCode MiniAV_Audio_GetDefaultFormat(const char *device_id, MiniAVAudioInfo *format_out);
MINIAV_API MiniAVResultCode MiniAV_Audio_GetConfiguredFormat(MiniAVAudioContextHandle context,
                                                             MiniAVAudioInfo *format_out);
MINIAV_API MiniAVResultCode MiniAV_Audio_CreateContext(MiniAVAudioContextHandle *context);
MINIAV_API MiniAVResultCode MiniAV_Audio_DestroyContext(MiniAVAudioContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_Audio_Configure(MiniAVAudioContextHandle context, const char *device_id,
                                                   const MiniAVAudioInfo *format);
MINIAV_API MiniAVResultCode MiniAV_Audio_StartCapture(MiniAVAudioContextHandle context,
                                                      MiniAVBufferCallback callback, void *user_data);
MINIAV_API MiniAVResultCode MiniAV_Audio_StopCapture(MiniAVAudioContextHandle context);
/* Buffered (pull) capture: an f32 ring drained with ReadFrames. */
MINIAV_API MiniAVAudioContextHandle MiniAV_Audio_CreateContextRet(void);
MINIAV_API MiniAVResultCode MiniAV_Audio_ConfigureFlat(MiniAVAudioContextHandle context, int format,
                                                       uint32_t sample_rate, uint32_t channels,
                                                       uint32_t num_frames);
MINIAV_API MiniAVResultCode MiniAV_Audio_EnableBufferedCapture(MiniAVAudioContextHandle context,
                                                               uint32_t ring_frames);
MINIAV_API int MiniAV_Audio_ReadFrames(MiniAVAudioContextHandle context, float *out_interleaved,
                                       uint32_t max_frames);
MINIAV_API uint32_t MiniAV_Audio_GetAvailableFrames(MiniAVAudioContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_Audio_SetDeviceChangeCallback(MiniAVDeviceChangeCallback callback,
                                                                 void *user_data);
MINIAV_API MiniAVResultCode MiniAV_Audio_SetContextLostCallback(MiniAVAudioContextHandle context,
                                                                MiniAVContextLostCallback callback,
                                                                void *user_data);

/* Loopback (what an output plays). */
MINIAV_API MiniAVResultCode MiniAV_Loopback_EnumerateTargets(MiniAVLoopbackTargetType target_type_filter,
                                                             MiniAVDeviceInfo **targets_out, uint32_t *count_out);
MINIAV_API MiniAVResultCode MiniAV_Loopback_GetSupportedFormats(const char *target_device_id,
                                                                MiniAVAudioInfo **formats_out,
                                                                uint32_t *count_out);
MINIAV_API MiniAVResultCode MiniAV_Loopback_GetDefaultFormat(const char *target_device_id,
                                                             MiniAVAudioInfo *format_out);
MINIAV_API MiniAVResultCode MiniAV_Loopback_GetConfiguredFormat(MiniAVLoopbackContextHandle context,
                                                                MiniAVAudioInfo *format_out);
MINIAV_API MiniAVResultCode MiniAV_Loopback_CreateContext(MiniAVLoopbackContextHandle *context_out);
MINIAV_API MiniAVResultCode MiniAV_Loopback_DestroyContext(MiniAVLoopbackContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_Loopback_Configure(MiniAVLoopbackContextHandle context,
                                                      const char *target_device_id,
                                                      const MiniAVAudioInfo *requested_format);
MINIAV_API MiniAVResultCode MiniAV_Loopback_StartCapture(MiniAVLoopbackContextHandle context,
                                                         MiniAVBufferCallback callback, void *user_data);
MINIAV_API MiniAVResultCode MiniAV_Loopback_StopCapture(MiniAVLoopbackContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_Loopback_SetDeviceChangeCallback(MiniAVDeviceChangeCallback callback,
                                                                    void *user_data);
MINIAV_API MiniAVResultCode MiniAV_Loopback_SetContextLostCallback(MiniAVLoopbackContextHandle context,
                                                                   MiniAVContextLostCallback callback,
                                                                   void *user_data);

/* Input capture: not supported by this library. */
MINIAV_API MiniAVResultCode MiniAV_Input_EnumerateGamepads(MiniAVDeviceInfo **devices, uint32_t *count);
MINIAV_API MiniAVResultCode MiniAV_Input_CreateContext(MiniAVInputContextHandle *context);
MINIAV_API MiniAVResultCode MiniAV_Input_DestroyContext(MiniAVInputContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_Input_Configure(MiniAVInputContextHandle context, const MiniAVInputConfig *config);
MINIAV_API MiniAVResultCode MiniAV_Input_StartCapture(MiniAVInputContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_Input_StopCapture(MiniAVInputContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_Input_GetLatestMotion(MiniAVInputContextHandle context,
                                                         MiniAVMotionEvent *out_event);
MINIAV_API MiniAVResultCode MiniAV_Input_SetGamepadChangeCallback(MiniAVDeviceChangeCallback callback,
                                                                  void *user_data);

/* Input injection: not supported by this library. */
MINIAV_API MiniAVResultCode MiniAV_Inject_CreateContext(MiniAVInjectContextHandle *context);
MINIAV_API MiniAVResultCode MiniAV_Inject_DestroyContext(MiniAVInjectContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_Inject_Configure(MiniAVInjectContextHandle context, uint32_t input_types);
MINIAV_API MiniAVResultCode MiniAV_Inject_Keyboard(MiniAVInjectContextHandle context,
                                                   const MiniAVKeyboardEvent *event);
MINIAV_API MiniAVResultCode MiniAV_Inject_Mouse(MiniAVInjectContextHandle context, const MiniAVMouseEvent *event);

/* Lifecycle: Dispose stops all callback dispatch and waits for the callbacks
 * running; EnableCallbacks (implied by every StartCapture) resumes it. */
MINIAV_API MiniAVResultCode MiniAV_Dispose(void);
MINIAV_API MiniAVResultCode MiniAV_EnableCallbacks(void);

#endif /* MINIAV_C_NO_PROTOTYPES */

#ifdef __cplusplus
}
#endif

#endif
