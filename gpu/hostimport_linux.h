// The host-import path's Vulkan side (hostimport_linux.c): a compute
// device on which page-aligned host memory is imported as storage buffers
// (VK_EXT_external_memory_host) and converted to RGBA in place.
#include <stdint.h>
#include <stddef.h>

typedef struct vkh vkh;

// An imported region: the buffer over the host memory and the descriptor
// set (set 0) that binds it.
typedef struct {
	uint64_t buf, mem, dpool, set;
	uint64_t size;
} vkh_imp;

// An output: a host-visible, coherent, persistently mapped storage buffer
// (set 1), the command buffer that converts into it, its fence, and the
// push constants of its next dispatch.
typedef struct {
	uint64_t buf, mem, dpool, set, fence;
	void *cmd;
	void *map;
	uint64_t size;
	uint32_t pc[24];
} vkh_out;

// vkh_open loads libvulkan.so.1 and opens a device with
// VK_EXT_external_memory_host whose name contains want (any if empty;
// case-insensitive),
// preferring a discrete GPU, then an integrated one, then a CPU. It
// returns NULL with the reason in err; *unsupported is set when the
// loader, a device or the extension is missing (not an error of use).
vkh *vkh_open(const char *want, char *err, size_t errlen, int *unsupported);
const char *vkh_name(vkh *);
uint64_t vkh_align(vkh *);
uint64_t vkh_max_range(vkh *);
const char *vkh_err(vkh *);
int vkh_pipeline(vkh *, const uint32_t *spv, size_t len);
int vkh_import(vkh *, void *ptr, uint64_t size, vkh_imp *out);
void vkh_free_import(vkh *, vkh_imp *);
int vkh_output(vkh *, uint64_t size, vkh_out *out);
void vkh_free_output(vkh *, vkh_out *);
int vkh_submit(vkh *, vkh_out *o, vkh_imp *src, uint32_t gx, uint32_t gy);
int vkh_wait(vkh *, vkh_out *o);
void vkh_wait_idle(vkh *);
void vkh_close(vkh *);
