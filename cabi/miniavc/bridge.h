// The C side of the library: calls into the application's callbacks, and
// conversions between the 0.7 opaque handle types and the integer handles
// the Go side keeps.
#ifndef MINIAVC_BRIDGE_H
#define MINIAVC_BRIDGE_H

#define MINIAV_C_NO_PROTOTYPES
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "miniav.h"
#include "miniav_playback.h"
#include "miniav_ext.h"

void miniavc_call_buffer(MiniAVBufferCallback cb, const MiniAVBuffer *buf, uintptr_t ud);
void miniavc_call_log(MiniAVLogCallback cb, MiniAVLogLevel level, const char *msg, uintptr_t ud);
void miniavc_call_device(MiniAVDeviceChangeCallback cb, MiniAVDeviceChangeEvent ev, const MiniAVDeviceInfo *dev,
                         uintptr_t ud);
void miniavc_call_lost(MiniAVContextLostCallback cb, int reason, uintptr_t ud);

// miniavc_depth is how many application callbacks run on the calling
// thread (so that Dispose and StopCapture called from inside one do not
// wait for themselves).
int miniavc_depth(void);

static inline void *miniavc_ptr(uint64_t h) { return (void *)(uintptr_t)h; }
static inline uint64_t miniavc_handle(const void *p) { return (uint64_t)(uintptr_t)p; }

// Offsets of the union members of MiniAVBuffer.data, from its start.
enum {
	MINIAVC_OFF_VIDEO_NUM_PLANES = offsetof(MiniAVBuffer, data.video.num_planes) - offsetof(MiniAVBuffer, data),
	MINIAVC_OFF_VIDEO_PLANES = offsetof(MiniAVBuffer, data.video.planes) - offsetof(MiniAVBuffer, data),
	MINIAVC_OFF_AUDIO_INFO = offsetof(MiniAVBuffer, data.audio.info) - offsetof(MiniAVBuffer, data),
	MINIAVC_OFF_AUDIO_DATA = offsetof(MiniAVBuffer, data.audio.data) - offsetof(MiniAVBuffer, data),
};

#endif
