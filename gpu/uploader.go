// Package gpu hands miniav video frames to a WebGPU device (wgpu-native,
// through github.com/cogentcore/webgpu, which links wgpu-native statically)
// and converts them to RGBA8 with a WGSL compute shader that is bit-exact
// with the core's CPU conversion.
//
// It is a module of its own so that users of the core module never download
// the GPU dependency (115 MB of static libraries). It needs cgo.
//
// Upload path and frame release: every plane is written with
// Queue.WriteBuffer into one pooled storage buffer, each with its stride.
// WebGPU's writeBuffer copies the data before it returns (the spec: the
// contents of data are copied; wgpu-native copies them into its staging
// memory in queue_write_buffer), so Upload releases the frame as soon as
// the writes return, and a V4L2 buffer can be requeued at once.
// TestSourceOverwrittenAfterUpload verifies it: the test source scribbles
// over a frame's memory when the frame is released, and the converted
// result still equals the original frame's.
//
// Where the adapter has wgpu-native's MappablePrimaryBuffers (unified
// memory, and lavapipe), the planes are instead copied straight into the
// mapped storage buffer the shader reads (ModeMapped; the mapping waits
// for the GPU to finish with the buffer), and the frame is released after
// that copy.
//
// Host import (ModeHostImport, asked for with WithHostImport or
// WithMode, Linux): a raw Vulkan device of the uploader's own, on a driver
// with VK_EXT_external_memory_host, imports the page-aligned region behind
// a frame (its backend.Memory: a V4L2 MMAP buffer, an X11 shared segment,
// a pooled buffer) once, caches the import by the region's ID and drops it
// in the region's teardown hook or at Close. The conversion shader (the
// GLSL twin of the WGSL one, compiled to the committed shaders/convert.spv)
// reads the frame in place, with no CPU copy, and writes RGBA into a
// mapped output (Image.Pixels). Such an Image keeps its frame until the
// fence of the submission that read it has signalled; a frame whose memory
// cannot be imported (no Memory, not aligned, refused by the driver) takes
// the staging path instead, and Image.Mode says which one it took. The
// DMA-BUF rung is not implemented. Mode reports the path in use.
package gpu

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/cogentcore/webgpu/wgpu"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
)

// Mode is the upload path an Uploader uses.
type Mode uint8

// Upload paths.
const (
	// ModeWriteBuffer: one CPU copy into wgpu's staging memory per plane
	// (Queue.WriteBuffer), then one device copy.
	ModeWriteBuffer Mode = iota + 1
	// ModeMapped: the planes are copied straight into a mapped storage
	// buffer the shader reads (wgpu-native's MappablePrimaryBuffers, on
	// unified-memory and CPU adapters): one CPU copy, no device copy.
	ModeMapped
	// ModeHostImport: the frame's memory is imported into Vulkan
	// (VK_EXT_external_memory_host) and read in place by the shader: no
	// CPU copy; the result is in mapped host memory (Image.Pixels).
	ModeHostImport
)

func (m Mode) String() string {
	switch m {
	case ModeWriteBuffer:
		return "write-buffer (CPU copy into wgpu staging, then device copy)"
	case ModeMapped:
		return "mapped (one CPU copy into a mapped storage buffer, no device copy)"
	case ModeHostImport:
		return "host-import (frame memory imported once per buffer and read in place: no CPU copy)"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// Adapter describes the adapter an Uploader runs on.
type Adapter struct {
	Name    string // the driver's description, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"
	Type    string // "discrete-gpu", "integrated-gpu", "cpu", ...
	Backend string // "vulkan", "metal", ...
	Vendor  uint32
}

func (a Adapter) String() string { return a.Name + " (" + a.Type + ", " + a.Backend + ")" }

type config struct {
	vulkan  bool
	adapter string
	mode    Mode
	host    bool // WithHostImport: host import where the device has it
}

// Option configures NewUploader.
type Option func(*config)

// WithVulkan restricts the search to Vulkan adapters (tests use it so a
// missing Vulkan driver fails instead of falling back to GL).
func WithVulkan() Option { return func(c *config) { c.vulkan = true } }

// WithAdapter picks the first adapter whose driver description contains
// name (case-insensitive), e.g. "llvmpipe" for Mesa's lavapipe.
func WithAdapter(name string) Option { return func(c *config) { c.adapter = strings.ToLower(name) } }

// WithMode forces an upload path instead of the best one the adapter
// offers (ModeMapped on integrated and CPU adapters with wgpu-native's
// MappablePrimaryBuffers, else ModeWriteBuffer). A path the adapter lacks makes NewUploader fail with
// an error matching miniav.ErrNotSupported.
//
// WithMode(ModeHostImport) requires the host-import path (a Vulkan device
// with VK_EXT_external_memory_host, on Linux); frames whose memory cannot
// be imported still take the best staging path.
func WithMode(m Mode) Option { return func(c *config) { c.mode = m } }

// WithHostImport asks for the host-import path where the machine has it
// and falls back to the best staging path where it does not (Mode says
// which, HostImportErr why not).
//
// Close such an uploader: it pins the Go memory of the pooled frames it
// imported (runtime.Pinner) until the region's teardown or Close, and Go
// panics when it collects a Pinner still holding pins, which an uploader
// dropped unclosed together with a pool never closed would be.
func WithHostImport() Option { return func(c *config) { c.host = true } }

// Uploader owns a WebGPU device, the conversion pipeline, and pools of GPU
// buffers per frame layout. Its methods are safe for concurrent use; GPU
// work is serialised.
type Uploader struct {
	mu       sync.Mutex
	inst     *wgpu.Instance
	adapter  *wgpu.Adapter
	dev      *wgpu.Device
	queue    *wgpu.Queue
	pipe     *wgpu.ComputePipeline
	bgl      *wgpu.BindGroupLayout
	info     Adapter
	mode     Mode
	pools    map[imageKey][]*Image
	all      []*Image
	closed   bool
	host     *hostPath // the host-import path, or nil
	hostErr  error     // why host import was asked for and is not used
	devRef   unsafe.Pointer
	queueRef unsafe.Pointer
	pipeRef  unsafe.Pointer
}

// NewUploader opens a WebGPU device on the best adapter found at run time
// (a discrete GPU before an integrated one before a CPU one) and compiles
// the conversion shader. With no adapter it returns an error matching
// miniav.ErrNotFound.
func NewUploader(ctx context.Context, opts ...Option) (*Uploader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	backends := wgpu.InstanceBackendPrimary
	if c.vulkan {
		backends = wgpu.InstanceBackendVulkan
	}
	u := &Uploader{pools: map[imageKey][]*Image{}}
	var err error
	if u.inst, err = newInstance(backends); err != nil {
		return nil, err
	}
	rank := func(t wgpu.AdapterType) int {
		switch t {
		case wgpu.AdapterTypeDiscreteGPU:
			return 0
		case wgpu.AdapterTypeIntegratedGPU:
			return 1
		case wgpu.AdapterTypeCPU:
			return 2
		}
		return 3
	}
	var seen []string
	best := 99
	for _, a := range u.inst.EnumerateAdapters(&wgpu.InstanceEnumerateAdapterOptons{Backends: backends}) {
		info := a.GetInfo()
		seen = append(seen, info.DriverDescription)
		ok := c.adapter == "" || strings.Contains(strings.ToLower(info.DriverDescription), c.adapter)
		if ok && rank(info.AdapterType) < best {
			best = rank(info.AdapterType)
			if u.adapter != nil {
				u.adapter.Release()
			}
			u.adapter = a
			u.info = Adapter{Name: info.DriverDescription, Type: info.AdapterType.String(), Backend: info.BackendType.String(), Vendor: info.VendorId}
			continue
		}
		a.Release()
	}
	if u.adapter == nil {
		u.inst.Release()
		return nil, fmt.Errorf("gpu: no WebGPU adapter matching %q (found %q): %w", c.adapter, seen, miniav.ErrNotFound)
	}
	var features []wgpu.FeatureName
	mappable := u.adapter.HasFeature(wgpu.NativeFeatureMappablePrimaryBuffers)
	host := c.mode == ModeHostImport
	if host || c.host {
		// The staging path frames that cannot be imported take.
		c.mode = 0
		if u.host, err = openHostPath(c.adapter); err != nil {
			if host {
				u.release()
				return nil, err
			}
			u.hostErr = err
		}
	}
	switch {
	case c.mode == ModeMapped && !mappable:
		u.release()
		return nil, fmt.Errorf("gpu: %v has no mappable storage buffers: %w", u.info, miniav.ErrNotSupported)
	case c.mode == 0 && mappable && best > 0, c.mode == ModeMapped:
		// By default only where host memory is the GPU's (integrated and
		// CPU adapters): on a discrete GPU a mappable storage buffer lives
		// in host memory and every shader read crosses the bus.
		u.mode = ModeMapped
		features = append(features, wgpu.NativeFeatureMappablePrimaryBuffers)
	case c.mode == 0, c.mode == ModeWriteBuffer:
		u.mode = ModeWriteBuffer
	default:
		u.release()
		return nil, fmt.Errorf("gpu: upload mode %v: %w", c.mode, miniav.ErrInvalid)
	}
	if u.dev, err = u.adapter.RequestDevice(&wgpu.DeviceDescriptor{RequiredFeatures: features}); err != nil {
		u.release()
		return nil, fmt.Errorf("gpu: opening a device on %v: %w", u.info, err)
	}
	u.queue = u.dev.GetQueue()
	sm, err := u.dev.CreateShaderModule(&wgpu.ShaderModuleDescriptor{WGSLDescriptor: &wgpu.ShaderModuleWGSLDescriptor{Code: convertWGSL}})
	if err != nil {
		u.release()
		return nil, fmt.Errorf("gpu: compiling the conversion shader: %w", err)
	}
	defer sm.Release()
	if u.pipe, err = u.dev.CreateComputePipeline(&wgpu.ComputePipelineDescriptor{Compute: wgpu.ProgrammableStageDescriptor{Module: sm, EntryPoint: "main"}}); err != nil {
		u.release()
		return nil, fmt.Errorf("gpu: conversion pipeline: %w", err)
	}
	u.bgl = u.pipe.GetBindGroupLayout(0)
	u.devRef, u.queueRef, u.pipeRef = handle1(u.dev), handle2(u.queue), handle1(u.pipe)
	return u, nil
}

// Adapter reports the adapter the uploader chose.
func (u *Uploader) Adapter() Adapter { return u.info }

// Mode reports the upload path in use: ModeHostImport where the uploader
// imports frame memory, else the staging path (Fallback).
func (u *Uploader) Mode() Mode {
	if u.host != nil {
		return ModeHostImport
	}
	return u.mode
}

// Fallback reports the staging path for frames the uploader cannot import
// (the only path when Mode is not ModeHostImport).
func (u *Uploader) Fallback() Mode { return u.mode }

// HostImportErr says why host import was asked for (WithHostImport) and is
// not in use, or nil.
func (u *Uploader) HostImportErr() error { return u.hostErr }

// HostStats counts what the host-import path did.
type HostStats struct {
	Frames      uint64 // frames that took the path
	Imports     int    // regions imported (each once)
	Hits        uint64 // frames whose region was already imported
	TornDown    int    // imports dropped by their region's teardown hook
	Refused     int    // regions the driver would not import (they take the staging path)
	Unaligned   uint64 // frames whose region is not aligned for import
	NoMemory    uint64 // frames with no backend.Memory
	LastRefusal string // the driver's reason for the last refusal
}

// HostStats reports the host-import path's counts (zero without it).
func (u *Uploader) HostStats() HostStats {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.host == nil {
		return HostStats{}
	}
	return u.host.stats
}

// Device is the uploader's WebGPU device, for the caller's own pipelines on
// the converted images. It stays the uploader's: do not release it.
func (u *Uploader) Device() *wgpu.Device { return u.dev }

// Queue is the device's queue.
func (u *Uploader) Queue() *wgpu.Queue { return u.queue }

func (u *Uploader) release() {
	if u.host != nil {
		for _, f := range u.hostClose() { // only on a failed NewUploader: nothing is held
			f.Release()
		}
		u.hostFree()
		u.host = nil
	}
	for _, im := range u.all {
		im.destroy()
	}
	u.all, u.pools = nil, nil
	for _, r := range []interface{ Release() }{u.bgl, u.pipe, u.queue, u.dev, u.adapter, u.inst} {
		if r != nil && !isNil(r) {
			r.Release()
		}
	}
}

func isNil(r interface{ Release() }) bool {
	switch v := r.(type) {
	case *wgpu.BindGroupLayout:
		return v == nil
	case *wgpu.ComputePipeline:
		return v == nil
	case *wgpu.Queue:
		return v == nil
	case *wgpu.Device:
		return v == nil
	case *wgpu.Adapter:
		return v == nil
	case *wgpu.Instance:
		return v == nil
	}
	return false
}

// Close frees every GPU resource. Images still held become unusable. On
// the host-import path it first waits for every submission to complete,
// drops every import, and only then releases the frames images still held,
// once each.
func (u *Uploader) Close() error {
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return nil
	}
	u.closed = true
	var held []miniav.Frame
	if u.host != nil {
		held = u.hostClose()
	}
	u.mu.Unlock()
	// Outside the lock: a release may tear a region down, whose hook takes
	// it (and, the uploader being closed, does nothing).
	for _, f := range held {
		f.Release()
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.host != nil {
		u.hostFree()
		u.host = nil
	}
	u.dev.Poll(true, nil)
	u.release()
	return nil
}

type imageKey struct {
	pf            format.PixelFormat
	w, h          int
	strides, lens [3]int
}

// Image is a frame on the GPU: its planes in a storage buffer and, after
// Convert, its RGBA8 pixels in another (Buffer), 4*Width bytes per row.
// Images are pooled per layout: Release gives one back for the next frame.
type Image struct {
	u             *Uploader
	mode          Mode // the path it took
	host          hostImage
	key           imageKey
	lay           layout
	Width, Height int
	Format        format.PixelFormat
	off           [3]int
	size          int // of src
	src, params   *wgpu.Buffer
	out, staging  *wgpu.Buffer
	bind          *wgpu.BindGroup
	srcRef        unsafe.Pointer
	paramsRef     unsafe.Pointer
	outRef        unsafe.Pointer
	stagingRef    unsafe.Pointer
	bindRef       unsafe.Pointer
	// pv and tail are allocations of their own: cgo may be passed pointers
	// to them only if they hold no Go pointers.
	pv        *[paramsWords]uint32
	tail      *[4]byte
	held      bool
	converted bool
}

// Buffer is the storage buffer holding the RGBA8 pixels after Convert
// (one little-endian u32 per pixel: R | G<<8 | B<<16 | A<<24). An image on
// the host-import path has none (its pixels are in Vulkan memory the
// uploader maps: Pixels); Buffer is then nil.
func (im *Image) Buffer() *wgpu.Buffer { return im.out }

// Mode reports the path the image's frame took: ModeHostImport, or the
// uploader's staging path.
func (im *Image) Mode() Mode { return im.mode }

// Pixels returns, on the host-import path, the converted RGBA pixels in
// the mapped output the shader wrote, without a copy (4*Width bytes per
// row); valid after Convert or Wait, until Release or the uploader's
// Close. It is nil on the staging paths: use Read.
func (im *Image) Pixels() []byte { return im.host.px }

// destroy frees im's GPU objects.
func (im *Image) destroy() {
	im.bind.Release()
	for _, b := range []*wgpu.Buffer{im.src, im.params, im.out, im.staging} {
		b.Destroy()
		b.Release()
	}
}

// Upload writes every plane of f, with its stride, to a pooled GPU image
// and releases f once wgpu has its copy (when the writes return). It
// consumes f's reference even when it fails. Formats with no GPU layout
// (compressed ones) match miniav.ErrNotSupported.
//
// On the host-import path the image keeps f instead, until the GPU's work
// on it is done (Convert, Wait, Release or Close release it, once).
func (u *Uploader) Upload(f miniav.Frame) (*Image, error) {
	v := f.Video()
	if v.NumPlanes() == 0 {
		f.Release()
		return nil, fmt.Errorf("gpu: upload of a frame with no video: %w", miniav.ErrReleased)
	}
	l, err := layoutOf(v.PixelFormat)
	if err != nil {
		f.Release()
		return nil, err
	}
	u.mu.Lock()
	if !u.closed && u.host != nil {
		im, err := u.hostUpload(f, v, l)
		if im != nil || err != nil {
			u.mu.Unlock()
			if err != nil {
				f.Release()
			}
			return im, err
		}
	}
	im, err := u.stage(v, l)
	u.mu.Unlock()
	f.Release()
	return im, err
}

// stage writes v's planes into a pooled staging image; u.mu is held.
func (u *Uploader) stage(v miniav.VideoView, l layout) (*Image, error) {
	if u.closed {
		return nil, fmt.Errorf("gpu: upload: %w", miniav.ErrClosed)
	}
	k := imageKey{pf: v.PixelFormat, w: v.Width, h: v.Height}
	for i := range v.NumPlanes() {
		k.strides[i], k.lens[i] = v.Stride(i), len(v.Plane(i))
	}
	im, err := u.get(k, l)
	if err != nil {
		return nil, err
	}
	if u.mode == ModeMapped {
		m, err := rawMapWrite(u.devRef, im.srcRef, im.size)
		if err != nil {
			u.put(im)
			return nil, err
		}
		for i := range v.NumPlanes() {
			copy(m[im.off[i]:], v.Plane(i))
		}
		rawUnmap(im.srcRef)
		im.held, im.converted = true, false
		return im, nil
	}
	for i := range v.NumPlanes() {
		p := v.Plane(i)
		n := len(p) &^ 3
		rawWrite(u.queueRef, im.srcRef, im.off[i], p[:n])
		if r := len(p) - n; r > 0 { // WriteBuffer sizes are multiples of 4
			*im.tail = [4]byte{}
			copy(im.tail[:], p[n:])
			rawWrite(u.queueRef, im.srcRef, im.off[i]+n, im.tail[:])
		}
	}
	im.held, im.converted = true, false
	return im, nil
}

// get takes a free image for k from the pool, or makes one. u.mu is held.
func (u *Uploader) get(k imageKey, l layout) (*Image, error) {
	if free := u.pools[k]; len(free) > 0 {
		im := free[len(free)-1]
		u.pools[k] = free[:len(free)-1]
		return im, nil
	}
	im := &Image{u: u, mode: u.mode, key: k, lay: l, Width: k.w, Height: k.h, Format: k.pf,
		pv: new([paramsWords]uint32), tail: new([4]byte)}
	size := 0
	for i, n := range k.lens {
		im.off[i] = size
		size += (n + 3) &^ 3
	}
	size = max(size, 4)
	im.size = size
	srcUsage := wgpu.BufferUsageStorage | wgpu.BufferUsageCopyDst
	if u.mode == ModeMapped {
		srcUsage = wgpu.BufferUsageStorage | wgpu.BufferUsageMapWrite
	}
	outSize := uint64(4 * k.w * k.h)
	var err error
	mk := func(size uint64, usage wgpu.BufferUsage) *wgpu.Buffer {
		if err != nil {
			return nil
		}
		var b *wgpu.Buffer
		b, err = u.dev.CreateBuffer(&wgpu.BufferDescriptor{Size: size, Usage: usage})
		return b
	}
	im.src = mk(uint64(size), srcUsage)
	im.params = mk(paramsBytes, wgpu.BufferUsageUniform|wgpu.BufferUsageCopyDst)
	im.out = mk(outSize, wgpu.BufferUsageStorage|wgpu.BufferUsageCopySrc)
	im.staging = mk(outSize, wgpu.BufferUsageMapRead|wgpu.BufferUsageCopyDst)
	if err == nil {
		im.bind, err = u.dev.CreateBindGroup(&wgpu.BindGroupDescriptor{Layout: u.bgl, Entries: []wgpu.BindGroupEntry{
			{Binding: 0, Buffer: im.src, Size: wgpu.WholeSize},
			{Binding: 1, Buffer: im.out, Size: wgpu.WholeSize},
			{Binding: 2, Buffer: im.params, Size: wgpu.WholeSize},
		}})
	}
	if err != nil {
		for _, b := range []*wgpu.Buffer{im.src, im.params, im.out, im.staging} {
			if b != nil {
				b.Release()
			}
		}
		return nil, fmt.Errorf("gpu: buffers for %dx%d %v: %w", k.w, k.h, k.pf, err)
	}
	im.srcRef, im.paramsRef, im.outRef, im.stagingRef = handle2(im.src), handle2(im.params), handle2(im.out), handle2(im.staging)
	im.bindRef = handle1(im.bind)
	u.all = append(u.all, im)
	return im, nil
}

// Convert runs the conversion shader on im with colour space cs and waits
// until the GPU is done; the RGBA pixels are then in im.Buffer() (or, on
// the host-import path, in im.Pixels(), and the frame is released).
func (u *Uploader) Convert(im *Image, cs ColorSpace) error {
	if err := u.Submit(im, cs); err != nil {
		return err
	}
	return u.Wait(im)
}

// Submit starts the conversion of im with colour space cs. On the
// host-import path it returns once the work is queued, and the image keeps
// its frame until Wait (or Read, Release, Close) has seen the submission's
// fence signal; on the staging paths it waits, like Convert.
func (u *Uploader) Submit(im *Image, cs ColorSpace) error {
	if int(cs) >= len(coefs) {
		return fmt.Errorf("gpu: colour space %v: %w", cs, miniav.ErrInvalid)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.usable(im); err != nil {
		return err
	}
	if im.mode == ModeHostImport {
		return u.hostSubmit(im, coefs[cs])
	}
	im.fillParams(im.pv, coefs[cs])
	rawWrite(u.queueRef, im.paramsRef, 0, unsafe.Slice((*byte)(unsafe.Pointer(im.pv)), paramsBytes))
	rawDispatch(u.devRef, u.queueRef, u.pipeRef, im.bindRef, (im.Width+7)/8, (im.Height+7)/8)
	im.converted = true
	return nil
}

// Wait blocks until im's submitted conversion is done and, on the
// host-import path, releases its frame (once).
func (u *Uploader) Wait(im *Image) error {
	u.mu.Lock()
	if err := u.usable(im); err != nil {
		u.mu.Unlock()
		return err
	}
	if im.mode != ModeHostImport {
		u.mu.Unlock()
		return nil
	}
	f, ok, err := u.hostWait(im)
	u.mu.Unlock()
	if ok {
		f.Release()
	}
	return err
}

// fillParams fills the shader's parameters for im with conversion c.
func (im *Image) fillParams(pv *[paramsWords]uint32, c coef) {
	l := im.lay
	pv[0], pv[1], pv[2], pv[3] = uint32(im.Width), uint32(im.Height), l.kind, l.bpp
	for i, pl := range l.planes {
		pv[4+i], pv[8+i] = uint32(im.off[pl]), uint32(im.key.strides[pl])
	}
	copy(pv[12:16], l.idx[:])
	pv[16], pv[17], pv[18], pv[19] = uint32(c.cy), uint32(c.yoff), uint32(c.rv), uint32(c.gu)
	pv[20], pv[21] = uint32(c.gv), uint32(c.bu)
}

// Read copies im's converted RGBA pixels into dst (at least 4*Width*Height
// bytes), through a pooled MapRead buffer.
func (u *Uploader) Read(im *Image, dst []byte) error {
	if im != nil && im.mode == ModeHostImport {
		if err := u.Wait(im); err != nil {
			return err
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.usable(im); err != nil {
		return err
	}
	n := 4 * im.Width * im.Height
	if !im.converted {
		return fmt.Errorf("gpu: Read before Convert: %w", miniav.ErrInvalid)
	}
	if len(dst) < n {
		return fmt.Errorf("gpu: Read into %d bytes, want %d: %w", len(dst), n, miniav.ErrInvalid)
	}
	if im.mode == ModeHostImport {
		copy(dst[:n], im.host.px)
		return nil
	}
	return rawRead(u.devRef, u.queueRef, im.outRef, im.stagingRef, dst[:n])
}

func (u *Uploader) usable(im *Image) error {
	if u.closed {
		return fmt.Errorf("gpu: %w", miniav.ErrClosed)
	}
	if im == nil || im.u != u || !im.held {
		return fmt.Errorf("gpu: image not held: %w", miniav.ErrReleased)
	}
	return nil
}

// Release gives im back to its uploader's pool (on the host-import path
// after waiting for its submission and releasing its frame, if it still
// holds one). Releasing it again returns an error matching
// miniav.ErrReleased.
func (im *Image) Release() error {
	u := im.u
	u.mu.Lock()
	if !im.held {
		u.mu.Unlock()
		return fmt.Errorf("gpu: image released twice: %w", miniav.ErrReleased)
	}
	im.held = false
	if im.mode != ModeHostImport {
		u.put(im)
		u.mu.Unlock()
		return nil
	}
	var f miniav.Frame
	var ok bool
	var err error
	if !u.closed {
		f, ok, err = u.hostWait(im)
		u.hostPut(im)
	}
	u.mu.Unlock()
	if ok {
		f.Release()
	}
	return err
}

// put gives im back to its pool. u.mu is held.
func (u *Uploader) put(im *Image) {
	if !u.closed {
		u.pools[im.key] = append(u.pools[im.key], im)
	}
}
