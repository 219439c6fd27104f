package gpu

// The host-import path (ModeHostImport): a raw Vulkan device of its own
// (hostimport_linux.c, libvulkan.so.1 loaded at run time) imports the
// long-lived, page-aligned region behind a frame (a V4L2 MMAP buffer, an
// X11 shared segment, a pooled buffer: backend.Memory) once, as a storage
// buffer over the same host memory, and caches the import by Memory.ID for
// the region's life. The conversion shader (shaders/convert.comp, the GLSL
// twin of convertWGSL) reads the frame in place, with no CPU copy, and
// writes RGBA into a mapped output buffer. The frame is released only
// after the fence of the submission that read it has signalled.

//go:generate glslangValidator -V --target-env vulkan1.1 shaders/convert.comp -o shaders/convert.spv

/*
#cgo CFLAGS: -O2
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "hostimport_linux.h"
*/
import "C"

import (
	_ "embed"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
)

//go:embed shaders/convert.spv
var convertSPV []byte

// hostPath is an Uploader's Vulkan device for host import, guarded by the
// Uploader's mutex.
type hostPath struct {
	h        *C.vkh
	name     string
	align    uintptr
	maxRange uint64
	imports  map[uint64]*hostImport // by backend.Memory ID
	pools    map[[2]int][]*Image    // free host images by width, height
	all      []*Image
	stats    HostStats
}

// hostImport is one region imported, or refused (obj nil).
type hostImport struct {
	obj  *C.vkh_imp // C memory
	size int
	pin  runtime.Pinner
}

// hostImage is what an Image on the host-import path holds: its mapped
// output, the import it reads, and the frame until the GPU is done with it.
type hostImage struct {
	o        *C.vkh_out // C memory
	px       []byte     // the mapped output
	src      *hostImport
	frame    miniav.Frame
	hasFrame bool
	inFlight bool
}

func openHostPath(adapter string) (*hostPath, error) {
	cs := C.CString(adapter)
	defer C.free(unsafe.Pointer(cs))
	var buf [256]C.char
	var unsupported C.int
	h := C.vkh_open(cs, &buf[0], C.size_t(len(buf)), &unsupported)
	if h == nil {
		msg := C.GoString(&buf[0])
		if unsupported != 0 {
			return nil, fmt.Errorf("gpu: host import: %s: %w", msg, miniav.ErrNotSupported)
		}
		return nil, fmt.Errorf("gpu: host import: %s", msg)
	}
	p := &hostPath{h: h, name: C.GoString(C.vkh_name(h)), align: uintptr(C.vkh_align(h)), maxRange: uint64(C.vkh_max_range(h)),
		imports: map[uint64]*hostImport{}, pools: map[[2]int][]*Image{}}
	if p.align == 0 || p.align&(p.align-1) != 0 {
		C.vkh_close(h)
		return nil, fmt.Errorf("gpu: host import: %s reports an import alignment of %d: %w", p.name, p.align, miniav.ErrNotSupported)
	}
	spv := C.CBytes(convertSPV)
	defer C.free(spv)
	if C.vkh_pipeline(h, (*C.uint32_t)(spv), C.size_t(len(convertSPV))) != 0 {
		err := fmt.Errorf("gpu: host import: conversion pipeline on %s: %s", p.name, C.GoString(C.vkh_err(h)))
		C.vkh_close(h)
		return nil, err
	}
	return p, nil
}

func (p *hostPath) vkErr(what string) error {
	return fmt.Errorf("gpu: host import: %s on %s: %s", what, p.name, C.GoString(C.vkh_err(p.h)))
}

// importable returns where region m can be imported from and how many
// bytes of it (whole alignment units, at least need), or ok false.
func (p *hostPath) importable(m *backend.Memory, need int) (base unsafe.Pointer, size int, ok bool) {
	r := m.Bytes()
	if len(r) == 0 {
		return nil, 0, false
	}
	base = unsafe.Pointer(unsafe.SliceData(r))
	size = int(uintptr(len(r)) &^ (p.align - 1))
	if uintptr(base)%p.align != 0 || size == 0 || size < need || uint64(size) > p.maxRange {
		return nil, 0, false
	}
	return base, size, true
}

// lookup returns m's import, importing it on first sight, or nil where m
// cannot be imported or the import does not reach need bytes. u.mu is held.
func (u *Uploader) lookup(m *backend.Memory, need int) *hostImport {
	p := u.host
	if imp, ok := p.imports[m.ID()]; ok {
		if imp.obj == nil {
			return nil
		}
		if need > imp.size {
			p.stats.Unaligned++
			return nil
		}
		p.stats.Hits++
		return imp
	}
	base, size, ok := p.importable(m, need)
	if !ok {
		p.stats.Unaligned++
		return nil
	}
	imp := &hostImport{size: size}
	// Go memory (a pooled buffer) must stay put while Vulkan holds its
	// address; memory the kernel mapped is not Go's, and Pin ignores it.
	imp.pin.Pin(unsafe.SliceData(m.Bytes()))
	obj := (*C.vkh_imp)(C.calloc(1, C.size_t(unsafe.Sizeof(C.vkh_imp{}))))
	if C.vkh_import(p.h, base, C.uint64_t(size), obj) != 0 {
		p.stats.Refused++
		p.stats.LastRefusal = C.GoString(C.vkh_err(p.h))
		C.free(unsafe.Pointer(obj))
		imp.pin.Unpin()
		obj = nil
	} else {
		imp.obj = obj
		p.stats.Imports++
	}
	id := m.ID()
	if err := m.OnTeardown(func() { u.teardown(id) }); err != nil {
		// Already torn down: the region is on its way out; do not use it.
		if imp.obj != nil {
			p.free(imp)
		}
		return nil
	}
	p.imports[id] = imp
	if imp.obj == nil {
		return nil
	}
	return imp
}

func (p *hostPath) free(imp *hostImport) {
	C.vkh_free_import(p.h, imp.obj)
	C.free(unsafe.Pointer(imp.obj))
	imp.obj = nil
	imp.pin.Unpin()
}

// teardown drops the import of region id, which its owner is about to
// unmap or free. It runs only after every frame lent from the region was
// released, and the Uploader releases a frame only once the GPU's work on
// it is done, so no submission still reads the import.
func (u *Uploader) teardown(id uint64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed || u.host == nil {
		return
	}
	p := u.host
	imp, ok := p.imports[id]
	if !ok {
		return
	}
	delete(p.imports, id)
	if imp.obj != nil {
		p.free(imp)
		p.stats.TornDown++
	}
}

// hostUpload puts f on the host-import path if its region can be
// imported: the returned image holds f until the GPU is done with it. It
// returns nil (and keeps nothing) when the frame must take the staging
// path. u.mu is held.
func (u *Uploader) hostUpload(f miniav.Frame, v miniav.VideoView, l layout) (*Image, error) {
	m := f.Memory()
	if m == nil {
		u.host.stats.NoMemory++
		return nil, nil
	}
	var off [3]int
	need := 0
	for i := range v.NumPlanes() {
		p := v.Plane(i)
		o := m.Offset(p)
		if o < 0 {
			u.host.stats.NoMemory++ // the planes are not in the region it names
			return nil, nil
		}
		off[i], need = o, max(need, o+len(p))
	}
	imp := u.lookup(m, need)
	if imp == nil {
		return nil, nil
	}
	im, err := u.hostImage(v.Width, v.Height)
	if err != nil {
		return nil, err
	}
	im.lay, im.off, im.Format = l, off, v.PixelFormat
	for i := range v.NumPlanes() {
		im.key.strides[i] = v.Stride(i)
	}
	im.key.pf = v.PixelFormat
	im.host.src, im.host.frame, im.host.hasFrame = imp, f, true
	im.held, im.converted = true, false
	u.host.stats.Frames++
	return im, nil
}

// hostImage takes a free host image of w×h from the pool or makes one.
func (u *Uploader) hostImage(w, h int) (*Image, error) {
	p := u.host
	k := [2]int{w, h}
	if free := p.pools[k]; len(free) > 0 {
		im := free[len(free)-1]
		p.pools[k] = free[:len(free)-1]
		return im, nil
	}
	o := (*C.vkh_out)(C.calloc(1, C.size_t(unsafe.Sizeof(C.vkh_out{}))))
	size := max(4*w*h, 4)
	if C.vkh_output(p.h, C.uint64_t(size), o) != 0 {
		C.free(unsafe.Pointer(o))
		return nil, p.vkErr(fmt.Sprintf("output of %dx%d", w, h))
	}
	im := &Image{u: u, mode: ModeHostImport, Width: w, Height: h}
	im.key.w, im.key.h = w, h
	im.host.o = o
	im.host.px = unsafe.Slice((*byte)(o._map), 4*w*h)
	p.all = append(p.all, im)
	return im, nil
}

// hostSubmit starts the conversion of im; u.mu is held.
func (u *Uploader) hostSubmit(im *Image, c coef) error {
	if !im.host.hasFrame {
		return fmt.Errorf("gpu: Submit of an image whose frame was released (submit each upload once): %w", miniav.ErrReleased)
	}
	if im.host.inFlight {
		return fmt.Errorf("gpu: Submit of an image already in flight: %w", miniav.ErrInvalid)
	}
	pc := (*[paramsWords]uint32)(unsafe.Pointer(&im.host.o.pc[0]))
	im.fillParams(pc, c)
	if C.vkh_submit(u.host.h, im.host.o, im.host.src.obj, C.uint32_t((im.Width+7)/8), C.uint32_t((im.Height+7)/8)) != 0 {
		return u.host.vkErr("submit")
	}
	im.host.inFlight = true
	return nil
}

// hostWait waits for im's submission, if any, and hands back the frame to
// release (after u.mu is unlocked), once the GPU is done with it. u.mu is
// held.
func (u *Uploader) hostWait(im *Image) (miniav.Frame, bool, error) {
	if im.host.inFlight {
		if C.vkh_wait(u.host.h, im.host.o) != 0 {
			return miniav.Frame{}, false, u.host.vkErr("fence wait")
		}
		im.host.inFlight = false
		im.converted = true
	}
	return im.takeFrame()
}

func (im *Image) takeFrame() (miniav.Frame, bool, error) {
	if !im.host.hasFrame {
		return miniav.Frame{}, false, nil
	}
	f := im.host.frame
	im.host.frame, im.host.hasFrame = miniav.Frame{}, false
	return f, true, nil
}

// hostPut gives a host image back to its pool; u.mu is held.
func (u *Uploader) hostPut(im *Image) {
	if !u.closed {
		k := [2]int{im.Width, im.Height}
		u.host.pools[k] = append(u.host.pools[k], im)
	}
}

// hostClose waits for every submission, drops every import, and returns
// the frames still held, for the caller to release after unlocking u.mu
// and before hostFree. u.mu is held.
func (u *Uploader) hostClose() []miniav.Frame {
	p := u.host
	C.vkh_wait_idle(p.h)
	for id, imp := range p.imports {
		if imp.obj != nil {
			p.free(imp)
		}
		delete(p.imports, id)
	}
	var held []miniav.Frame
	for _, im := range p.all {
		im.host.inFlight = false
		if f, ok, _ := im.takeFrame(); ok {
			held = append(held, f)
		}
	}
	return held
}

// hostFree frees the outputs and the device; u.mu is held.
func (u *Uploader) hostFree() {
	p := u.host
	for _, im := range p.all {
		C.vkh_free_output(p.h, im.host.o)
		C.free(unsafe.Pointer(im.host.o))
		im.host.o, im.host.px = nil, nil
	}
	p.all, p.pools = nil, nil
	C.vkh_close(p.h)
	p.h = nil
}
