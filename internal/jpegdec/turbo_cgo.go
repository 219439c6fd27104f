//go:build cgo && (linux || darwin || freebsd)

package jpegdec

/*
#cgo linux LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>

// The few TurboJPEG 2.x entry points used here, declared by hand and bound
// at run time, so that building needs no TurboJPEG headers or library.
typedef void *mjtj_handle;

static mjtj_handle (*mjtj_init)(void);
static int (*mjtj_destroy)(mjtj_handle);
static int (*mjtj_planes)(mjtj_handle, const unsigned char *, unsigned long,
	unsigned char **, int, int *, int, int);
static char *(*mjtj_errstr)(mjtj_handle);

static const char *mjtj_names[] = {
	"libturbojpeg.so.0", "libturbojpeg.so",
	"libturbojpeg.0.dylib", "/opt/homebrew/lib/libturbojpeg.0.dylib", "/usr/local/lib/libturbojpeg.0.dylib",
	NULL,
};

// mjtj_load binds the entry points once; it returns 0 on success.
static int mjtj_load(void) {
	void *lib = NULL;
	for (int i = 0; mjtj_names[i] != NULL && lib == NULL; i++) {
		lib = dlopen(mjtj_names[i], RTLD_NOW | RTLD_LOCAL);
	}
	if (lib == NULL) {
		return -1;
	}
	mjtj_init = (mjtj_handle (*)(void))dlsym(lib, "tjInitDecompress");
	mjtj_destroy = (int (*)(mjtj_handle))dlsym(lib, "tjDestroy");
	mjtj_planes = (int (*)(mjtj_handle, const unsigned char *, unsigned long,
		unsigned char **, int, int *, int, int))dlsym(lib, "tjDecompressToYUVPlanes");
	mjtj_errstr = (char *(*)(mjtj_handle))dlsym(lib, "tjGetErrorStr2");
	if (!mjtj_init || !mjtj_destroy || !mjtj_planes || !mjtj_errstr) {
		return -2;
	}
	return 0;
}

static mjtj_handle mjtj_new(void) { return mjtj_init(); }
static void mjtj_free(mjtj_handle h) { mjtj_destroy(h); }
static const char *mjtj_error(mjtj_handle h) { return mjtj_errstr(h); }

// mjtj_decode decodes into up to three planes. The plane pointers arrive
// as separate arguments so that no Go memory holds Go pointers.
static int mjtj_decode(mjtj_handle h, const unsigned char *buf, size_t n,
	unsigned char *y, unsigned char *u, unsigned char *v,
	int sy, int su, int sv, int w, int ht) {
	unsigned char *planes[3] = {y, u, v};
	int strides[3] = {sy, su, sv};
	// Flags 0: the accurate integer IDCT and no fancy upsampling (planes
	// are not upsampled anyway); warnings such as a premature end of data
	// make the call fail, which is what a dropped corrupt frame needs.
	return mjtj_planes(h, buf, (unsigned long)n, planes, w, strides, ht, 0);
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/miniav-go/miniav/format"
)

// HasTurbo reports whether this build can use TurboJPEG at all; NewTurbo
// still fails when the library is not installed.
const HasTurbo = true

var loadTurbo = sync.OnceValue(func() error {
	if rc := C.mjtj_load(); rc != 0 {
		return fmt.Errorf("cannot load libturbojpeg (install libturbojpeg0), code %d: %w", int(rc), ErrUnavailable)
	}
	return nil
})

// Turbo decodes with libjpeg-turbo's TurboJPEG API straight into the
// destination planes. Steady-state decoding allocates nothing in Go.
type Turbo struct {
	h C.mjtj_handle
}

// NewTurbo returns a TurboJPEG decoder, or an error matching
// ErrUnavailable when the library cannot be loaded.
func NewTurbo() (*Turbo, error) {
	if err := loadTurbo(); err != nil {
		return nil, err
	}
	h := C.mjtj_new()
	if h == nil {
		return nil, fmt.Errorf("tjInitDecompress failed: %w", ErrUnavailable)
	}
	return &Turbo{h: h}, nil
}

// Mode implements Decoder.
func (*Turbo) Mode() string { return "turbojpeg" }

// Close implements Decoder.
func (d *Turbo) Close() error {
	if d.h != nil {
		C.mjtj_free(d.h)
		d.h = nil
	}
	return nil
}

// Decode implements Decoder.
func (d *Turbo) Decode(b []byte, h Header, dst Planes) error {
	if d.h == nil {
		return fmt.Errorf("decode after Close: %w", ErrUnavailable)
	}
	if err := check(h, dst); err != nil {
		return err
	}
	if len(b) == 0 {
		return fmt.Errorf("empty frame: %w", ErrCorrupt)
	}
	y := (*C.uchar)(unsafe.Pointer(unsafe.SliceData(dst.Data[0])))
	u, v := y, y
	if h.PixelFormat != format.GRAY8 {
		u = (*C.uchar)(unsafe.Pointer(unsafe.SliceData(dst.Data[1])))
		v = (*C.uchar)(unsafe.Pointer(unsafe.SliceData(dst.Data[2])))
	}
	rc := C.mjtj_decode(d.h, (*C.uchar)(unsafe.Pointer(unsafe.SliceData(b))), C.size_t(len(b)),
		y, u, v, C.int(dst.Strides[0]), C.int(dst.Strides[1]), C.int(dst.Strides[2]),
		C.int(h.Width), C.int(h.Height))
	if rc != 0 {
		return fmt.Errorf("turbojpeg: %s: %w", C.GoString(C.mjtj_error(d.h)), ErrCorrupt)
	}
	return nil
}
