/*
 * miniav's MiniAV 0.7 compatible C API: audio output. miniav captures and
 * does not play: every function exists so that MiniAV programs link, and
 * fails without effect (MINIAV_ERROR_NOT_SUPPORTED, NULL from
 * CreateContext, a negative count from WriteFrames, 0 from the getters).
 */
#ifndef MINIAV_PLAYBACK_H
#define MINIAV_PLAYBACK_H

#include <stdint.h>

#include "export.h"
#include "miniav_capture.h"
#include "miniav_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef MINIAV_C_NO_PROTOTYPES

MINIAV_API MiniAVResultCode MiniAV_AudioOutput_EnumerateDevices(MiniAVDeviceInfo **devices, uint32_t *count);
MINIAV_API MiniAVResultCode MiniAV_AudioOutput_GetDefaultFormat(const char *device_id, MiniAVAudioInfo *format_out);
MINIAV_API MiniAVAudioOutputContextHandle MiniAV_AudioOutput_CreateContext(void);
MINIAV_API MiniAVResultCode MiniAV_AudioOutput_DestroyContext(MiniAVAudioOutputContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_AudioOutput_Configure(MiniAVAudioOutputContextHandle context,
                                                         const char *device_id, int format, uint32_t sample_rate,
                                                         uint32_t channels, uint32_t buffer_frames);
MINIAV_API MiniAVResultCode MiniAV_AudioOutput_GetConfiguredFormat(MiniAVAudioOutputContextHandle context,
                                                                   MiniAVAudioInfo *format_out);
MINIAV_API MiniAVResultCode MiniAV_AudioOutput_Start(MiniAVAudioOutputContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_AudioOutput_Stop(MiniAVAudioOutputContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_AudioOutput_Clear(MiniAVAudioOutputContextHandle context);
MINIAV_API int MiniAV_AudioOutput_WriteFrames(MiniAVAudioOutputContextHandle context, const float *interleaved,
                                              uint32_t frame_count);
MINIAV_API uint32_t MiniAV_AudioOutput_GetBufferedFrames(MiniAVAudioOutputContextHandle context);
MINIAV_API uint32_t MiniAV_AudioOutput_GetWritableFrames(MiniAVAudioOutputContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_AudioOutput_SetVolume(MiniAVAudioOutputContextHandle context, float volume);
MINIAV_API float MiniAV_AudioOutput_GetVolume(MiniAVAudioOutputContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_AudioOutput_SetPan(MiniAVAudioOutputContextHandle context, float pan);
MINIAV_API float MiniAV_AudioOutput_GetPan(MiniAVAudioOutputContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_AudioOutput_SetPitch(MiniAVAudioOutputContextHandle context, float pitch);
MINIAV_API float MiniAV_AudioOutput_GetPitch(MiniAVAudioOutputContextHandle context);
MINIAV_API int MiniAV_AudioOutput_IsStarted(MiniAVAudioOutputContextHandle context);
MINIAV_API MiniAVResultCode MiniAV_AudioOutput_SetContextLostCallback(MiniAVAudioOutputContextHandle context,
                                                                      MiniAVContextLostCallback callback,
                                                                      void *user_data);

#endif /* MINIAV_C_NO_PROTOTYPES */

#ifdef __cplusplus
}
#endif

#endif
