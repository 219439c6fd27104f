package gpu

// The per-frame path calls wgpu-native's C API directly. The binding's own
// methods allocate on the Go heap for every call (a cgo.Handle and a
// closure for the error callback in WriteBuffer, wrapper objects for
// encoders and passes), which the Uploader's zero-allocation steady state
// cannot afford. The symbols come from the libwgpu_native.a that
// github.com/cogentcore/webgpu/wgpu links into the same binary; the handles
// are read from that binding's objects (see handle), whose layout is fixed
// by the exact version go.mod pins (every GPU test goes through them: a
// wrong handle would crash or give wrong pixels).

/*
#include <stdint.h>
#include <stddef.h>
#include <string.h>

typedef struct WGPUDeviceImpl *WGPUDevice;
typedef struct WGPUQueueImpl *WGPUQueue;
typedef struct WGPUBufferImpl *WGPUBuffer;
typedef struct WGPUCommandEncoderImpl *WGPUCommandEncoder;
typedef struct WGPUComputePassEncoderImpl *WGPUComputePassEncoder;
typedef struct WGPUComputePipelineImpl *WGPUComputePipeline;
typedef struct WGPUBindGroupImpl *WGPUBindGroup;
typedef struct WGPUCommandBufferImpl *WGPUCommandBuffer;
typedef uint32_t WGPUBool;
typedef void (*miniavMapCallback)(int status, void *userdata);

void wgpuQueueWriteBuffer(WGPUQueue, WGPUBuffer, uint64_t, void const *, size_t);
WGPUCommandEncoder wgpuDeviceCreateCommandEncoder(WGPUDevice, void const *);
WGPUComputePassEncoder wgpuCommandEncoderBeginComputePass(WGPUCommandEncoder, void const *);
void wgpuComputePassEncoderSetPipeline(WGPUComputePassEncoder, WGPUComputePipeline);
void wgpuComputePassEncoderSetBindGroup(WGPUComputePassEncoder, uint32_t, WGPUBindGroup, size_t, uint32_t const *);
void wgpuComputePassEncoderDispatchWorkgroups(WGPUComputePassEncoder, uint32_t, uint32_t, uint32_t);
void wgpuComputePassEncoderEnd(WGPUComputePassEncoder);
void wgpuComputePassEncoderRelease(WGPUComputePassEncoder);
void wgpuCommandEncoderCopyBufferToBuffer(WGPUCommandEncoder, WGPUBuffer, uint64_t, WGPUBuffer, uint64_t, uint64_t);
WGPUCommandBuffer wgpuCommandEncoderFinish(WGPUCommandEncoder, void const *);
void wgpuCommandEncoderRelease(WGPUCommandEncoder);
void wgpuCommandBufferRelease(WGPUCommandBuffer);
uint64_t wgpuQueueSubmitForIndex(WGPUQueue, size_t, WGPUCommandBuffer const *);
WGPUBool wgpuDevicePoll(WGPUDevice, WGPUBool, void const *);
void wgpuBufferMapAsync(WGPUBuffer, uint32_t, size_t, size_t, miniavMapCallback, void *);
void const *wgpuBufferGetConstMappedRange(WGPUBuffer, size_t, size_t);
void wgpuBufferUnmap(WGPUBuffer);

typedef struct { const void *next; uint32_t sType; } miniavChained;
typedef struct {
	miniavChained chain;
	uint32_t backends, flags, dx12ShaderCompiler, gles3MinorVersion;
	const char *dxilPath, *dxcPath;
} miniavInstanceExtras;
typedef struct { const void *nextInChain; } miniavInstanceDescriptor;
void *wgpuCreateInstance(miniavInstanceDescriptor const *);

// miniav_instance creates an instance for the given backends with every
// other field of the extras zeroed (wgpu-native's defaults). The binding's
// CreateInstance leaves flags and gles3MinorVersion uninitialised, and a
// garbage gles3MinorVersion aborts the process inside wgpu-native.
static void *miniav_instance(uint32_t backends) {
	miniavInstanceExtras ex;
	memset(&ex, 0, sizeof ex);
	ex.chain.sType = 0x00030006; // WGPUSType_InstanceExtras
	ex.backends = backends;
	miniavInstanceDescriptor d = {&ex};
	return wgpuCreateInstance(&d);
}

static void miniav_write(void *q, void *b, uint64_t off, void *data, size_t n) {
	wgpuQueueWriteBuffer((WGPUQueue)q, (WGPUBuffer)b, off, data, n);
}

static void submit_wait(WGPUDevice dev, WGPUQueue q, WGPUCommandEncoder enc) {
	WGPUCommandBuffer cb = wgpuCommandEncoderFinish(enc, NULL);
	wgpuQueueSubmitForIndex(q, 1, &cb);
	wgpuCommandBufferRelease(cb);
	wgpuCommandEncoderRelease(enc);
	wgpuDevicePoll(dev, 1, NULL); // blocks until every submission is done
}

// miniav_dispatch runs one compute pass and waits until the GPU is done.
static void miniav_dispatch(void *dev, void *q, void *pipe, void *bind, uint32_t gx, uint32_t gy) {
	WGPUCommandEncoder enc = wgpuDeviceCreateCommandEncoder((WGPUDevice)dev, NULL);
	WGPUComputePassEncoder cp = wgpuCommandEncoderBeginComputePass(enc, NULL);
	wgpuComputePassEncoderSetPipeline(cp, (WGPUComputePipeline)pipe);
	wgpuComputePassEncoderSetBindGroup(cp, 0, (WGPUBindGroup)bind, 0, NULL);
	wgpuComputePassEncoderDispatchWorkgroups(cp, gx, gy, 1);
	wgpuComputePassEncoderEnd(cp);
	wgpuComputePassEncoderRelease(cp);
	submit_wait((WGPUDevice)dev, (WGPUQueue)q, enc);
}

static void map_done(int status, void *ud) { *(int *)ud = status; }

// miniav_read copies n bytes of src through the MapRead buffer staging into
// dst. It returns 0 on success, else the map status (+1 so that 0 stays
// success) or -1 if the callback never ran.
static int miniav_read(void *dev, void *q, void *src, void *staging, size_t n, void *dst) {
	WGPUCommandEncoder enc = wgpuDeviceCreateCommandEncoder((WGPUDevice)dev, NULL);
	wgpuCommandEncoderCopyBufferToBuffer(enc, (WGPUBuffer)src, 0, (WGPUBuffer)staging, 0, n);
	submit_wait((WGPUDevice)dev, (WGPUQueue)q, enc);
	int status = -1;
	wgpuBufferMapAsync((WGPUBuffer)staging, 1, 0, n, map_done, &status);
	wgpuDevicePoll((WGPUDevice)dev, 1, NULL);
	if (status != 0) {
		return status < 0 ? -1 : status + 1;
	}
	memcpy(dst, wgpuBufferGetConstMappedRange((WGPUBuffer)staging, 0, n), n);
	wgpuBufferUnmap((WGPUBuffer)staging);
	return 0;
}

void *wgpuBufferGetMappedRange(WGPUBuffer, size_t, size_t);

// miniav_map_write maps n bytes of buf for writing, waiting until the GPU
// is done with it, and returns the mapping, or NULL.
static void *miniav_map_write(void *dev, void *buf, size_t n) {
	int status = -1;
	wgpuBufferMapAsync((WGPUBuffer)buf, 2, 0, n, map_done, &status); // WGPUMapMode_Write
	wgpuDevicePoll((WGPUDevice)dev, 1, NULL);
	if (status != 0) {
		return NULL;
	}
	return wgpuBufferGetMappedRange((WGPUBuffer)buf, 0, n);
}

static void miniav_unmap(void *buf) { wgpuBufferUnmap((WGPUBuffer)buf); }
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/cogentcore/webgpu/wgpu"
)

// twoRefs is the layout of the binding's Buffer and Queue: the device's
// handle, then the object's own.
type twoRefs struct{ dev, ref unsafe.Pointer }

// oneRef is the layout of the binding's Device, ComputePipeline and BindGroup.
type oneRef struct{ ref unsafe.Pointer }

func handle2[T any](p *T) unsafe.Pointer { return (*twoRefs)(unsafe.Pointer(p)).ref }
func handle1[T any](p *T) unsafe.Pointer { return (*oneRef)(unsafe.Pointer(p)).ref }

// rawWrite copies data into buf at off; wgpu has its own copy when it returns.
func rawWrite(q, buf unsafe.Pointer, off int, data []byte) {
	if len(data) == 0 {
		return
	}
	C.miniav_write(q, buf, C.uint64_t(off), unsafe.Pointer(unsafe.SliceData(data)), C.size_t(len(data)))
}

// newInstance creates a wgpu instance for backends, wrapped as the
// binding's *wgpu.Instance (whose only field is the handle).
func newInstance(backends wgpu.InstanceBackend) (*wgpu.Instance, error) {
	ref := C.miniav_instance(C.uint32_t(backends))
	if ref == nil {
		return nil, fmt.Errorf("gpu: wgpuCreateInstance failed")
	}
	return (*wgpu.Instance)(unsafe.Pointer(&oneRef{ref: ref})), nil
}

func rawDispatch(dev, q, pipe, bind unsafe.Pointer, gx, gy int) {
	C.miniav_dispatch(dev, q, pipe, bind, C.uint32_t(gx), C.uint32_t(gy))
}

func rawRead(dev, q, src, staging unsafe.Pointer, dst []byte) error {
	if rc := C.miniav_read(dev, q, src, staging, C.size_t(len(dst)), unsafe.Pointer(unsafe.SliceData(dst))); rc != 0 {
		return fmt.Errorf("gpu: mapping the read-back buffer failed (status %d)", int(rc)-1)
	}
	return nil
}

// rawMapWrite maps the first n bytes of buf for writing (see
// miniav_map_write); the slice is C memory, valid until rawUnmap.
func rawMapWrite(dev, buf unsafe.Pointer, n int) ([]byte, error) {
	p := C.miniav_map_write(dev, buf, C.size_t(n))
	if p == nil {
		return nil, fmt.Errorf("gpu: mapping the upload buffer for writing failed")
	}
	return unsafe.Slice((*byte)(p), n), nil
}

func rawUnmap(buf unsafe.Pointer) { C.miniav_unmap(buf) }
