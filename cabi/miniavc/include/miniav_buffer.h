/* miniav's MiniAV 0.7 compatible C API: the buffers handed to callbacks. */
#ifndef MINIAV_BUFFER_H
#define MINIAV_BUFFER_H

#include <stddef.h>
#include <stdint.h>

#include "miniav_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	MINIAV_BUFFER_TYPE_UNKNOWN = 0,
	MINIAV_BUFFER_TYPE_VIDEO = 1,
	MINIAV_BUFFER_TYPE_AUDIO = 2
} MiniAVBufferType;

typedef enum {
	MINIAV_NATIVE_HANDLE_TYPE_UNKNOWN = 0,
	MINIAV_NATIVE_HANDLE_TYPE_VIDEO_CAMERA = 1,
	MINIAV_NATIVE_HANDLE_TYPE_VIDEO_SCREEN = 2,
	MINIAV_NATIVE_HANDLE_TYPE_AUDIO = 3
} MiniAVNativeHandleType;

/* Whether a buffer's planes are CPU memory or GPU handles. This library
 * delivers MINIAV_BUFFER_CONTENT_TYPE_CPU only. */
typedef enum {
	MINIAV_BUFFER_CONTENT_TYPE_CPU = 0,
	MINIAV_BUFFER_CONTENT_TYPE_GPU_D3D11_HANDLE = 1,
	MINIAV_BUFFER_CONTENT_TYPE_GPU_METAL_TEXTURE = 2,
	MINIAV_BUFFER_CONTENT_TYPE_GPU_DMABUF_FD = 3,
	MINIAV_BUFFER_CONTENT_TYPE_GPU_AHARDWAREBUFFER = 4
} MiniAVBufferContentType;

typedef struct {
	void *data_ptr;
	uint32_t width;
	uint32_t height;
	uint32_t stride_bytes;
	uint32_t offset_bytes;
	uint32_t subresource_index;
	int dmabuf_fd; /* -1 when the plane is no DMA-BUF */
	uint64_t drm_format_modifier;
} MiniAVVideoPlane;

/* A buffer and the memory it points at stay valid until
 * MiniAV_ReleaseBuffer(buffer->internal_handle). */
typedef struct {
	MiniAVBufferType type;
	MiniAVBufferContentType content_type;
	int64_t timestamp_us; /* CLOCK_MONOTONIC (on Linux) */
	union {
		struct {
			MiniAVVideoInfo info;
			uint32_t num_planes;
			MiniAVVideoPlane planes[MINIAV_VIDEO_FORMAT_MAX_PLANES];
		} video;
		struct {
			uint32_t frame_count;
			MiniAVAudioInfo info;
			void *data;
		} audio;
	} data;
	size_t data_size_bytes;
	void *user_data;
	void *internal_handle;
	struct {
		int sync_fd;
		void *d3d11_fence;
		void *metal_shared_event;
		uint64_t metal_fence_value;
	} native_fence; /* never filled */
} MiniAVBuffer;

/* Part of the 0.7 ABI; this library does not use it (internal_handle is
 * its own token). */
typedef struct MiniAVNativeBufferInternalPayload {
	MiniAVNativeHandleType handle_type;
	void *context_owner;
	void *native_singular_resource_ptr;
	void *native_planar_resource_ptrs[MINIAV_VIDEO_FORMAT_MAX_PLANES];
	uint32_t num_planar_resources_to_release;
	MiniAVBuffer *parent_miniav_buffer_ptr;
} MiniAVNativeBufferInternalPayload;

#ifdef __cplusplus
}
#endif

#endif
