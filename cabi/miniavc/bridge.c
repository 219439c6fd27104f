//go:build cgo

#include "bridge.h"

static _Thread_local int depth;

int miniavc_depth(void) { return depth; }

void miniavc_call_buffer(MiniAVBufferCallback cb, const MiniAVBuffer *buf, uintptr_t ud) {
	depth++;
	cb(buf, (void *)ud);
	depth--;
}

void miniavc_call_log(MiniAVLogCallback cb, MiniAVLogLevel level, const char *msg, uintptr_t ud) {
	depth++;
	cb(level, msg, (void *)ud);
	depth--;
}

void miniavc_call_device(MiniAVDeviceChangeCallback cb, MiniAVDeviceChangeEvent ev, const MiniAVDeviceInfo *dev,
                         uintptr_t ud) {
	depth++;
	cb(ev, dev, (void *)ud);
	depth--;
}

void miniavc_call_lost(MiniAVContextLostCallback cb, int reason, uintptr_t ud) {
	depth++;
	cb(reason, (void *)ud);
	depth--;
}
