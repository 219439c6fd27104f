// The host-import path: raw Vulkan, loaded at run time from libvulkan.so.1
// (so a machine without a Vulkan loader still runs the WebGPU paths), on a
// device with VK_EXT_external_memory_host. Every function but vkh_open
// expects its caller (the Go side, under the Uploader's lock) to serialise
// calls on one vkh.
#define _GNU_SOURCE // strcasestr
#define VK_NO_PROTOTYPES
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>
#include "hostimport_linux.h"

#define H(T, x) ((T)(uintptr_t)(x))
#define U(x) ((uint64_t)(uintptr_t)(x))

struct vkh {
	void *lib;
	PFN_vkGetInstanceProcAddr gipa;
	PFN_vkDestroyInstance DestroyInstance;
	PFN_vkDestroyDevice DestroyDevice;
	PFN_vkGetDeviceQueue GetDeviceQueue;
	PFN_vkGetMemoryHostPointerPropertiesEXT GetMemoryHostPointerPropertiesEXT;
	PFN_vkCreateBuffer CreateBuffer;
	PFN_vkDestroyBuffer DestroyBuffer;
	PFN_vkGetBufferMemoryRequirements GetBufferMemoryRequirements;
	PFN_vkAllocateMemory AllocateMemory;
	PFN_vkFreeMemory FreeMemory;
	PFN_vkBindBufferMemory BindBufferMemory;
	PFN_vkMapMemory MapMemory;
	PFN_vkCreateShaderModule CreateShaderModule;
	PFN_vkDestroyShaderModule DestroyShaderModule;
	PFN_vkCreateDescriptorSetLayout CreateDescriptorSetLayout;
	PFN_vkDestroyDescriptorSetLayout DestroyDescriptorSetLayout;
	PFN_vkCreatePipelineLayout CreatePipelineLayout;
	PFN_vkDestroyPipelineLayout DestroyPipelineLayout;
	PFN_vkCreateComputePipelines CreateComputePipelines;
	PFN_vkDestroyPipeline DestroyPipeline;
	PFN_vkCreateDescriptorPool CreateDescriptorPool;
	PFN_vkDestroyDescriptorPool DestroyDescriptorPool;
	PFN_vkAllocateDescriptorSets AllocateDescriptorSets;
	PFN_vkUpdateDescriptorSets UpdateDescriptorSets;
	PFN_vkCreateCommandPool CreateCommandPool;
	PFN_vkDestroyCommandPool DestroyCommandPool;
	PFN_vkAllocateCommandBuffers AllocateCommandBuffers;
	PFN_vkFreeCommandBuffers FreeCommandBuffers;
	PFN_vkResetCommandBuffer ResetCommandBuffer;
	PFN_vkBeginCommandBuffer BeginCommandBuffer;
	PFN_vkEndCommandBuffer EndCommandBuffer;
	PFN_vkCmdBindPipeline CmdBindPipeline;
	PFN_vkCmdBindDescriptorSets CmdBindDescriptorSets;
	PFN_vkCmdPushConstants CmdPushConstants;
	PFN_vkCmdDispatch CmdDispatch;
	PFN_vkCmdPipelineBarrier CmdPipelineBarrier;
	PFN_vkQueueSubmit QueueSubmit;
	PFN_vkCreateFence CreateFence;
	PFN_vkDestroyFence DestroyFence;
	PFN_vkResetFences ResetFences;
	PFN_vkWaitForFences WaitForFences;
	PFN_vkDeviceWaitIdle DeviceWaitIdle;

	VkInstance inst;
	VkPhysicalDevice pd;
	VkDevice dev;
	VkQueue queue;
	uint32_t qfam;
	VkPhysicalDeviceMemoryProperties memprops;
	VkDeviceSize align, maxRange;
	VkCommandPool cpool;
	VkDescriptorSetLayout srcLayout, dstLayout;
	VkPipelineLayout layout;
	VkPipeline pipe;
	char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
	char err[256];
};

#define FAIL(h, ...) do { snprintf((h)->err, sizeof (h)->err, __VA_ARGS__); return -1; } while (0)
#define CHK(h, x) do { VkResult r_ = (x); if (r_ != VK_SUCCESS) FAIL(h, "%s: VkResult %d", #x, (int)r_); } while (0)

static int rank(VkPhysicalDeviceType t) {
	switch (t) {
	case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
	case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
	case VK_PHYSICAL_DEVICE_TYPE_CPU: return 2;
	default: return 3;
	}
}

static int has_ext(struct vkh *h, PFN_vkEnumerateDeviceExtensionProperties enumExt, VkPhysicalDevice pd, const char *want) {
	uint32_t n = 0;
	if (enumExt(pd, NULL, &n, NULL) != VK_SUCCESS || n == 0) return 0;
	VkExtensionProperties *e = calloc(n, sizeof *e);
	if (!e) return 0;
	int found = 0;
	if (enumExt(pd, NULL, &n, e) == VK_SUCCESS) {
		for (uint32_t i = 0; i < n && !found; i++) found = strcmp(e[i].extensionName, want) == 0;
	}
	free(e);
	(void)h;
	return found;
}

static void *dfn(struct vkh *h, PFN_vkGetDeviceProcAddr gdpa, const char *name, int *missing) {
	void *f = (void *)gdpa(h->dev, name);
	if (!f) *missing = 1;
	return f;
}

static int open_device(struct vkh *h, const char *want, int *unsupported) {
	PFN_vkCreateInstance CreateInstance = (PFN_vkCreateInstance)h->gipa(NULL, "vkCreateInstance");
	if (!CreateInstance) { *unsupported = 1; FAIL(h, "libvulkan.so.1 has no vkCreateInstance"); }
	VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .pApplicationName = "miniav-gpu", .apiVersion = VK_API_VERSION_1_1};
	VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pApplicationInfo = &app};
	VkResult r = CreateInstance(&ici, NULL, &h->inst);
	if (r != VK_SUCCESS) { *unsupported = 1; FAIL(h, "vkCreateInstance: VkResult %d", (int)r); }
#define IFN(T, n) PFN_##T n = (PFN_##T)h->gipa(h->inst, #T)
	IFN(vkDestroyInstance, DestroyInstance);
	IFN(vkEnumeratePhysicalDevices, EnumeratePhysicalDevices);
	IFN(vkGetPhysicalDeviceProperties2, GetPhysicalDeviceProperties2);
	IFN(vkGetPhysicalDeviceQueueFamilyProperties, GetPhysicalDeviceQueueFamilyProperties);
	IFN(vkGetPhysicalDeviceMemoryProperties, GetPhysicalDeviceMemoryProperties);
	IFN(vkEnumerateDeviceExtensionProperties, EnumerateDeviceExtensionProperties);
	IFN(vkCreateDevice, CreateDevice);
	IFN(vkGetDeviceProcAddr, GetDeviceProcAddr);
	h->DestroyInstance = DestroyInstance;
	if (!DestroyInstance || !EnumeratePhysicalDevices || !GetPhysicalDeviceProperties2 || !GetPhysicalDeviceQueueFamilyProperties ||
	    !GetPhysicalDeviceMemoryProperties || !EnumerateDeviceExtensionProperties || !CreateDevice || !GetDeviceProcAddr) {
		*unsupported = 1;
		FAIL(h, "the Vulkan loader lacks Vulkan 1.1 instance functions");
	}
	uint32_t n = 0;
	EnumeratePhysicalDevices(h->inst, &n, NULL);
	VkPhysicalDevice pds[16];
	if (n > 16) n = 16;
	if (n == 0 || (EnumeratePhysicalDevices(h->inst, &n, pds) < 0)) { *unsupported = 1; FAIL(h, "no Vulkan physical device"); }
	int best = 99;
	char seen[200] = "";
	for (uint32_t i = 0; i < n; i++) {
		VkPhysicalDeviceExternalMemoryHostPropertiesEXT hp = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT};
		VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
		int ext = has_ext(h, EnumerateDeviceExtensionProperties, pds[i], VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
		if (ext) p2.pNext = &hp;
		GetPhysicalDeviceProperties2(pds[i], &p2);
		size_t l = strlen(seen);
		snprintf(seen + l, sizeof seen - l, "%s%s%s", l ? ", " : "", p2.properties.deviceName, ext ? "" : " (no host import)");
		if (!ext || p2.properties.apiVersion < VK_API_VERSION_1_1) continue;
		if (want[0] && !strcasestr(p2.properties.deviceName, want)) continue;
		if (rank(p2.properties.deviceType) >= best) continue;
		best = rank(p2.properties.deviceType);
		h->pd = pds[i];
		h->align = hp.minImportedHostPointerAlignment;
		h->maxRange = p2.properties.limits.maxStorageBufferRange;
		snprintf(h->name, sizeof h->name, "%s", p2.properties.deviceName);
	}
	if (best == 99) { *unsupported = 1; FAIL(h, "no Vulkan device with %s matching \"%s\" (found: %s)", VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME, want, seen); }
	GetPhysicalDeviceMemoryProperties(h->pd, &h->memprops);
	uint32_t nq = 0;
	GetPhysicalDeviceQueueFamilyProperties(h->pd, &nq, NULL);
	VkQueueFamilyProperties qf[16];
	if (nq > 16) nq = 16;
	GetPhysicalDeviceQueueFamilyProperties(h->pd, &nq, qf);
	for (h->qfam = 0; h->qfam < nq && !(qf[h->qfam].queueFlags & VK_QUEUE_COMPUTE_BIT); h->qfam++) {}
	if (h->qfam == nq) { *unsupported = 1; FAIL(h, "%s has no compute queue", h->name); }
	float prio = 1;
	VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO, .queueFamilyIndex = h->qfam, .queueCount = 1, .pQueuePriorities = &prio};
	const char *exts[] = {VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME};
	VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, .queueCreateInfoCount = 1, .pQueueCreateInfos = &qci,
		.enabledExtensionCount = 1, .ppEnabledExtensionNames = exts};
	CHK(h, CreateDevice(h->pd, &dci, NULL, &h->dev));
	int missing = 0;
#define DFN(n) h->n = (PFN_vk##n)dfn(h, GetDeviceProcAddr, "vk" #n, &missing)
	DFN(DestroyDevice); DFN(GetDeviceQueue); DFN(GetMemoryHostPointerPropertiesEXT); DFN(CreateBuffer); DFN(DestroyBuffer);
	DFN(GetBufferMemoryRequirements); DFN(AllocateMemory); DFN(FreeMemory); DFN(BindBufferMemory); DFN(MapMemory);
	DFN(CreateShaderModule); DFN(DestroyShaderModule); DFN(CreateDescriptorSetLayout); DFN(DestroyDescriptorSetLayout);
	DFN(CreatePipelineLayout); DFN(DestroyPipelineLayout); DFN(CreateComputePipelines); DFN(DestroyPipeline);
	DFN(CreateDescriptorPool); DFN(DestroyDescriptorPool); DFN(AllocateDescriptorSets); DFN(UpdateDescriptorSets);
	DFN(CreateCommandPool); DFN(DestroyCommandPool); DFN(AllocateCommandBuffers); DFN(FreeCommandBuffers);
	DFN(ResetCommandBuffer); DFN(BeginCommandBuffer); DFN(EndCommandBuffer); DFN(CmdBindPipeline); DFN(CmdBindDescriptorSets);
	DFN(CmdPushConstants); DFN(CmdDispatch); DFN(CmdPipelineBarrier); DFN(QueueSubmit); DFN(CreateFence); DFN(DestroyFence);
	DFN(ResetFences); DFN(WaitForFences); DFN(DeviceWaitIdle);
	if (missing) FAIL(h, "%s: a device function is missing", h->name);
	h->GetDeviceQueue(h->dev, h->qfam, 0, &h->queue);
	VkCommandPoolCreateInfo cpi = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO, .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT, .queueFamilyIndex = h->qfam};
	CHK(h, h->CreateCommandPool(h->dev, &cpi, NULL, &h->cpool));
	VkDescriptorSetLayoutBinding b = {.binding = 0, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .descriptorCount = 1, .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
	VkDescriptorSetLayoutCreateInfo dli = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO, .bindingCount = 1, .pBindings = &b};
	CHK(h, h->CreateDescriptorSetLayout(h->dev, &dli, NULL, &h->srcLayout));
	CHK(h, h->CreateDescriptorSetLayout(h->dev, &dli, NULL, &h->dstLayout));
	VkDescriptorSetLayout sets[2] = {h->srcLayout, h->dstLayout};
	VkPushConstantRange pcr = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0, .size = sizeof ((vkh_out *)0)->pc};
	VkPipelineLayoutCreateInfo pli = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO, .setLayoutCount = 2, .pSetLayouts = sets,
		.pushConstantRangeCount = 1, .pPushConstantRanges = &pcr};
	CHK(h, h->CreatePipelineLayout(h->dev, &pli, NULL, &h->layout));
	return 0;
}

vkh *vkh_open(const char *want, char *err, size_t errlen, int *unsupported) {
	struct vkh *h = calloc(1, sizeof *h);
	*unsupported = 0;
	if (!h) { snprintf(err, errlen, "out of memory"); return NULL; }
	h->lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h->lib) {
		*unsupported = 1;
		snprintf(err, errlen, "no Vulkan loader: %s", dlerror());
		free(h);
		return NULL;
	}
	h->gipa = (PFN_vkGetInstanceProcAddr)dlsym(h->lib, "vkGetInstanceProcAddr");
	if (!h->gipa) {
		*unsupported = 1;
		snprintf(err, errlen, "libvulkan.so.1 has no vkGetInstanceProcAddr");
		vkh_close(h);
		return NULL;
	}
	if (open_device(h, want, unsupported) != 0) {
		snprintf(err, errlen, "%s", h->err);
		vkh_close(h);
		return NULL;
	}
	return h;
}

const char *vkh_name(vkh *h) { return h->name; }
uint64_t vkh_align(vkh *h) { return h->align; }
uint64_t vkh_max_range(vkh *h) { return h->maxRange; }
const char *vkh_err(vkh *h) { return h->err; }

int vkh_pipeline(vkh *h, const uint32_t *spv, size_t len) {
	VkShaderModuleCreateInfo smi = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO, .codeSize = len, .pCode = spv};
	VkShaderModule sm;
	CHK(h, h->CreateShaderModule(h->dev, &smi, NULL, &sm));
	VkComputePipelineCreateInfo cpi = {.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO, .layout = h->layout,
		.stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, .stage = VK_SHADER_STAGE_COMPUTE_BIT, .module = sm, .pName = "main"}};
	VkResult r = h->CreateComputePipelines(h->dev, VK_NULL_HANDLE, 1, &cpi, NULL, &h->pipe);
	h->DestroyShaderModule(h->dev, sm, NULL);
	if (r != VK_SUCCESS) FAIL(h, "vkCreateComputePipelines: VkResult %d", (int)r);
	return 0;
}

static int memtype(struct vkh *h, uint32_t bits, VkMemoryPropertyFlags want) {
	for (uint32_t i = 0; i < h->memprops.memoryTypeCount; i++) {
		if ((bits & (1u << i)) && (h->memprops.memoryTypes[i].propertyFlags & want) == want) return (int)i;
	}
	return -1;
}

// set makes a one-set descriptor pool and a set of layout l binding buf.
static int set(struct vkh *h, VkDescriptorSetLayout l, VkBuffer buf, uint64_t *dpool, uint64_t *dset) {
	VkDescriptorPoolSize ps = {.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .descriptorCount = 1};
	VkDescriptorPoolCreateInfo dpi = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO, .maxSets = 1, .poolSizeCount = 1, .pPoolSizes = &ps};
	VkDescriptorPool p;
	CHK(h, h->CreateDescriptorPool(h->dev, &dpi, NULL, &p));
	*dpool = U(p);
	VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO, .descriptorPool = p, .descriptorSetCount = 1, .pSetLayouts = &l};
	VkDescriptorSet s;
	CHK(h, h->AllocateDescriptorSets(h->dev, &ai, &s));
	*dset = U(s);
	VkDescriptorBufferInfo bi = {.buffer = buf, .range = VK_WHOLE_SIZE};
	VkWriteDescriptorSet w = {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstSet = s, .dstBinding = 0, .descriptorCount = 1,
		.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .pBufferInfo = &bi};
	h->UpdateDescriptorSets(h->dev, 1, &w, 0, NULL);
	return 0;
}

static int import(struct vkh *h, void *ptr, uint64_t size, vkh_imp *o) {
	VkMemoryHostPointerPropertiesEXT hpp = {.sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT};
	CHK(h, h->GetMemoryHostPointerPropertiesEXT(h->dev, VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, ptr, &hpp));
	VkExternalMemoryBufferCreateInfo ebci = {.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT};
	VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .pNext = &ebci, .size = size,
		.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
	VkBuffer b;
	CHK(h, h->CreateBuffer(h->dev, &bci, NULL, &b));
	o->buf = U(b);
	VkMemoryRequirements mr;
	h->GetBufferMemoryRequirements(h->dev, b, &mr);
	int mt = memtype(h, mr.memoryTypeBits & hpp.memoryTypeBits, 0);
	if (mt < 0) FAIL(h, "no memory type for both the buffer (%#x) and the host pointer (%#x)", mr.memoryTypeBits, hpp.memoryTypeBits);
	if (mr.size > size) FAIL(h, "the buffer needs %llu bytes, the region has %llu", (unsigned long long)mr.size, (unsigned long long)size);
	VkImportMemoryHostPointerInfoEXT imp = {.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, .pHostPointer = ptr};
	VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .pNext = &imp, .allocationSize = size, .memoryTypeIndex = (uint32_t)mt};
	VkDeviceMemory m;
	CHK(h, h->AllocateMemory(h->dev, &mai, NULL, &m));
	o->mem = U(m);
	CHK(h, h->BindBufferMemory(h->dev, b, m, 0));
	o->size = size;
	return set(h, h->srcLayout, b, &o->dpool, &o->set);
}

int vkh_import(vkh *h, void *ptr, uint64_t size, vkh_imp *o) {
	memset(o, 0, sizeof *o);
	if (import(h, ptr, size, o) != 0) {
		vkh_free_import(h, o);
		return -1;
	}
	return 0;
}

void vkh_free_import(vkh *h, vkh_imp *o) {
	if (o->dpool) h->DestroyDescriptorPool(h->dev, H(VkDescriptorPool, o->dpool), NULL);
	if (o->buf) h->DestroyBuffer(h->dev, H(VkBuffer, o->buf), NULL);
	if (o->mem) h->FreeMemory(h->dev, H(VkDeviceMemory, o->mem), NULL);
	memset(o, 0, sizeof *o);
}

static int output(struct vkh *h, uint64_t size, vkh_out *o) {
	VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = size,
		.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
	VkBuffer b;
	CHK(h, h->CreateBuffer(h->dev, &bci, NULL, &b));
	o->buf = U(b);
	VkMemoryRequirements mr;
	h->GetBufferMemoryRequirements(h->dev, b, &mr);
	int mt = memtype(h, mr.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT | VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
	if (mt < 0) mt = memtype(h, mr.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
	if (mt < 0) FAIL(h, "no host-visible coherent memory for the output");
	VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .allocationSize = mr.size, .memoryTypeIndex = (uint32_t)mt};
	VkDeviceMemory m;
	CHK(h, h->AllocateMemory(h->dev, &mai, NULL, &m));
	o->mem = U(m);
	CHK(h, h->BindBufferMemory(h->dev, b, m, 0));
	CHK(h, h->MapMemory(h->dev, m, 0, VK_WHOLE_SIZE, 0, &o->map));
	o->size = size;
	if (set(h, h->dstLayout, b, &o->dpool, &o->set) != 0) return -1;
	VkCommandBufferAllocateInfo cai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, .commandPool = h->cpool,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY, .commandBufferCount = 1};
	VkCommandBuffer cb;
	CHK(h, h->AllocateCommandBuffers(h->dev, &cai, &cb));
	o->cmd = cb;
	VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
	VkFence f;
	CHK(h, h->CreateFence(h->dev, &fci, NULL, &f));
	o->fence = U(f);
	return 0;
}

int vkh_output(vkh *h, uint64_t size, vkh_out *o) {
	memset(o, 0, sizeof *o);
	if (output(h, size, o) != 0) {
		vkh_free_output(h, o);
		return -1;
	}
	return 0;
}

void vkh_free_output(vkh *h, vkh_out *o) {
	if (o->fence) h->DestroyFence(h->dev, H(VkFence, o->fence), NULL);
	if (o->cmd) { VkCommandBuffer cb = o->cmd; h->FreeCommandBuffers(h->dev, h->cpool, 1, &cb); }
	if (o->dpool) h->DestroyDescriptorPool(h->dev, H(VkDescriptorPool, o->dpool), NULL);
	if (o->buf) h->DestroyBuffer(h->dev, H(VkBuffer, o->buf), NULL);
	if (o->mem) h->FreeMemory(h->dev, H(VkDeviceMemory, o->mem), NULL); // unmaps it
	memset(o, 0, sizeof *o);
}

// vkh_submit records one conversion of src into o with o->pc and submits
// it with o's fence; it does not wait.
int vkh_submit(vkh *h, vkh_out *o, vkh_imp *src, uint32_t gx, uint32_t gy) {
	VkCommandBuffer cb = o->cmd;
	VkFence f = H(VkFence, o->fence);
	CHK(h, h->ResetFences(h->dev, 1, &f));
	CHK(h, h->ResetCommandBuffer(cb, 0));
	VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO, .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
	CHK(h, h->BeginCommandBuffer(cb, &bi));
	// The host wrote the frame before the submit (a submit orders earlier
	// host writes to coherent memory); the barrier after the dispatch makes
	// the shader's writes visible to the host once the fence signals.
	h->CmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, h->pipe);
	VkDescriptorSet sets[2] = {H(VkDescriptorSet, src->set), H(VkDescriptorSet, o->set)};
	h->CmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, h->layout, 0, 2, sets, 0, NULL);
	h->CmdPushConstants(cb, h->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof o->pc, o->pc);
	h->CmdDispatch(cb, gx, gy, 1);
	VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER, .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT, .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
	h->CmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
	CHK(h, h->EndCommandBuffer(cb));
	VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cb};
	CHK(h, h->QueueSubmit(h->queue, 1, &si, f));
	return 0;
}

void vkh_wait_idle(vkh *h) { h->DeviceWaitIdle(h->dev); }

// vkh_wait blocks until o's last submission completed.
int vkh_wait(vkh *h, vkh_out *o) {
	VkFence f = H(VkFence, o->fence);
	CHK(h, h->WaitForFences(h->dev, 1, &f, VK_TRUE, UINT64_MAX));
	return 0;
}

void vkh_close(vkh *h) {
	if (h->dev && h->DeviceWaitIdle) {
		h->DeviceWaitIdle(h->dev);
		if (h->pipe) h->DestroyPipeline(h->dev, h->pipe, NULL);
		if (h->layout) h->DestroyPipelineLayout(h->dev, h->layout, NULL);
		if (h->srcLayout) h->DestroyDescriptorSetLayout(h->dev, h->srcLayout, NULL);
		if (h->dstLayout) h->DestroyDescriptorSetLayout(h->dev, h->dstLayout, NULL);
		if (h->cpool) h->DestroyCommandPool(h->dev, h->cpool, NULL);
		if (h->DestroyDevice) h->DestroyDevice(h->dev, NULL);
	}
	if (h->inst && h->DestroyInstance) h->DestroyInstance(h->inst, NULL);
	if (h->lib) dlclose(h->lib);
	free(h);
}
