// Package vp8enc is a small cgo wrapper of libvpx's VP8 encoder, set up
// for live video as WebRTC's is: one pass, constant bitrate with a 1 s
// buffer (500 ms full at the start, 600 ms its aim, undershoot 100%,
// overshoot 15%), realtime deadline, VP8E_SET_CPUUSED (ffmpeg's
// -cpu-used), one thread unless asked. Constant bitrate with a small
// buffer is what lets a congestion controller steer it: with variable
// bitrate and libvpx's default 6 s buffer, a lowered target took
// seconds to show in the frames' sizes, and a link that had fallen
// behind never caught up. pion/mediadevices' encoder sets no cpu-used (so
// libvpx runs at its slowest realtime speed), reconfigures the encoder on
// every frame and allocates the output three times per frame; this one
// reads the caller's I420 planes in place and copies the output into a
// buffer it reuses, so a steady-state Encode allocates nothing.
package vp8enc

// #cgo pkg-config: vpx
// #include <stdlib.h>
// #include <string.h>
// #include <vpx/vpx_encoder.h>
// #include <vpx/vp8cx.h>
//
// typedef struct {
//   vpx_codec_ctx_t ctx;
//   vpx_codec_enc_cfg_t cfg;
//   vpx_image_t img;
//   size_t n;  // the last frame's compressed size
//   int key;   // whether it was a keyframe
// } miniav_vp8;
//
// static int miniav_vp8_open(miniav_vp8 *e, unsigned w, unsigned h, unsigned kbps,
//     unsigned keyEvery, int cpuUsed, unsigned threads, int errorResilient) {
//   vpx_codec_iface_t *iface = vpx_codec_vp8_cx();
//   int rc = vpx_codec_enc_config_default(iface, &e->cfg, 0);
//   if (rc) return rc;
//   e->cfg.g_w = w;
//   e->cfg.g_h = h;
//   e->cfg.g_timebase.num = 1;
//   e->cfg.g_timebase.den = 90000; // the RTP clock
//   e->cfg.g_threads = threads;
//   e->cfg.g_pass = VPX_RC_ONE_PASS;
//   e->cfg.g_lag_in_frames = 0;
//   e->cfg.g_error_resilient = errorResilient ? VPX_ERROR_RESILIENT_DEFAULT : 0;
//   e->cfg.rc_end_usage = VPX_CBR;
//   e->cfg.rc_target_bitrate = kbps;
//   e->cfg.rc_buf_sz = 1000;
//   e->cfg.rc_buf_initial_sz = 500;
//   e->cfg.rc_buf_optimal_sz = 600;
//   e->cfg.rc_undershoot_pct = 100;
//   e->cfg.rc_overshoot_pct = 15;
//   e->cfg.rc_resize_allowed = 0;
//   e->cfg.kf_mode = VPX_KF_AUTO;
//   e->cfg.kf_min_dist = 0;
//   e->cfg.kf_max_dist = keyEvery;
//   rc = vpx_codec_enc_init(&e->ctx, iface, &e->cfg, 0);
//   if (rc) return rc;
//   rc = vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, cpuUsed);
//   if (rc) { vpx_codec_destroy(&e->ctx); return rc; }
//   // An image header only: the planes are the caller's, set per frame.
//   memset(&e->img, 0, sizeof e->img);
//   vpx_img_wrap(&e->img, VPX_IMG_FMT_I420, w, h, 1, (unsigned char *)1);
//   return 0;
// }
//
// static int miniav_vp8_bitrate(miniav_vp8 *e, unsigned kbps) {
//   e->cfg.rc_target_bitrate = kbps;
//   return vpx_codec_enc_config_set(&e->ctx, &e->cfg);
// }
//
// // Encodes one frame and copies its compressed data into out (capacity
// // cap). e->n gets its size (when more than cap nothing was copied) and
// // e->key whether it is a keyframe; they live in e, not in Go memory, so
// // that no Go variable escapes to the heap for the call.
// static int miniav_vp8_encode(miniav_vp8 *e, unsigned char *y, unsigned char *u, unsigned char *v,
//     int ys, int cs, long long pts, unsigned long dur, int force,
//     unsigned char *out, size_t cap) {
//   size_t *n = &e->n; int *key = &e->key;
//   e->img.planes[VPX_PLANE_Y] = y;
//   e->img.planes[VPX_PLANE_U] = u;
//   e->img.planes[VPX_PLANE_V] = v;
//   e->img.stride[VPX_PLANE_Y] = ys;
//   e->img.stride[VPX_PLANE_U] = cs;
//   e->img.stride[VPX_PLANE_V] = cs;
//   int rc = vpx_codec_encode(&e->ctx, &e->img, pts, dur, force ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME);
//   e->img.planes[0] = e->img.planes[1] = e->img.planes[2] = 0;
//   if (rc) return rc;
//   *n = 0; *key = 0;
//   const vpx_codec_cx_pkt_t *p;
//   vpx_codec_iter_t it = NULL;
//   while ((p = vpx_codec_get_cx_data(&e->ctx, &it)) != NULL) {
//     if (p->kind != VPX_CODEC_CX_FRAME_PKT) continue;
//     if (*n + p->data.frame.sz <= cap) memcpy(out + *n, p->data.frame.buf, p->data.frame.sz);
//     *n += p->data.frame.sz;
//     if (p->data.frame.flags & VPX_FRAME_IS_KEY) *key = 1;
//   }
//   return 0;
// }
//
// static const char *miniav_vp8_error(miniav_vp8 *e) { return vpx_codec_error_detail(&e->ctx); }
// static void miniav_vp8_close(miniav_vp8 *e) { vpx_codec_destroy(&e->ctx); }
import "C"

import (
	"errors"
	"fmt"
	"time"
	"unsafe"
)

// ErrInvalid is returned for bad parameters or planes.
var ErrInvalid = errors.New("vp8enc: invalid argument")

// Config is what the encoder is built with.
type Config struct {
	Width, Height  int
	Bitrate        int // bits per second (target, CBR)
	KeyFrameEvery  int // most frames between keyframes
	CPUUsed        int // VP8E_SET_CPUUSED, -16..16; ffmpeg's -cpu-used
	Threads        int // g_threads; 0 means 1
	ErrorResilient bool
}

// Encoder is one libvpx VP8 encoder. It is not safe for concurrent use.
type Encoder struct {
	e      *C.miniav_vp8 // C memory: libvpx keeps pointers into it
	cfg    Config
	out    []byte
	closed bool
}

// New builds an encoder.
func New(c Config) (*Encoder, error) {
	if c.Width <= 0 || c.Height <= 0 || c.Width%2 != 0 || c.Height%2 != 0 || c.Bitrate < 1000 ||
		c.KeyFrameEvery < 0 || c.CPUUsed < -16 || c.CPUUsed > 16 || c.Threads < 0 {
		return nil, fmt.Errorf("vp8enc: %+v: %w", c, ErrInvalid)
	}
	if c.Threads == 0 {
		c.Threads = 1
	}
	e := (*C.miniav_vp8)(C.calloc(1, C.size_t(unsafe.Sizeof(C.miniav_vp8{}))))
	if e == nil {
		return nil, errors.New("vp8enc: out of memory")
	}
	er := C.int(0)
	if c.ErrorResilient {
		er = 1
	}
	if rc := C.miniav_vp8_open(e, C.uint(c.Width), C.uint(c.Height), C.uint(c.Bitrate/1000),
		C.uint(c.KeyFrameEvery), C.int(c.CPUUsed), C.uint(c.Threads), er); rc != 0 {
		C.free(unsafe.Pointer(e))
		return nil, fmt.Errorf("vp8enc: init %dx%d: libvpx error %d", c.Width, c.Height, int(rc))
	}
	// A VP8 frame is smaller than its raw I420 picture in practice; a
	// buffer that size is grown in the rare case it is not.
	return &Encoder{e: e, cfg: c, out: make([]byte, c.Width*c.Height*3/2)}, nil
}

// SetBitrate changes the target bitrate, in bits per second.
func (e *Encoder) SetBitrate(bps int) error {
	if e.closed {
		return ErrClosed
	}
	if bps < 1000 {
		return fmt.Errorf("vp8enc: bitrate %d: %w", bps, ErrInvalid)
	}
	if rc := C.miniav_vp8_bitrate(e.e, C.uint(bps/1000)); rc != 0 {
		return fmt.Errorf("vp8enc: set bitrate: libvpx error %d", int(rc))
	}
	e.cfg.Bitrate = bps
	return nil
}

// ErrClosed is returned by an encoder after Close.
var ErrClosed = errors.New("vp8enc: encoder closed")

// Encode compresses one I420 picture: y, u and v with strides ys (luma)
// and cs (both chroma planes); pts and dur on any clock (they are
// converted to 90 kHz). key forces a keyframe. The data returned is valid
// until the next Encode or Close; libvpx has finished reading the planes
// when Encode returns. Empty data means libvpx dropped the frame (its
// rate control may, under a tight bitrate).
func (e *Encoder) Encode(y, u, v []byte, ys, cs int, pts, dur time.Duration, key bool) (data []byte, isKey bool, err error) {
	if e.closed {
		return nil, false, ErrClosed
	}
	w, h := e.cfg.Width, e.cfg.Height
	cw, ch := (w+1)/2, (h+1)/2
	if ys < w || cs < cw || len(y) < ys*(h-1)+w || len(u) < cs*(ch-1)+cw || len(v) < cs*(ch-1)+cw {
		return nil, false, fmt.Errorf("vp8enc: planes too small for %dx%d (strides %d, %d): %w", w, h, ys, cs, ErrInvalid)
	}
	if dur <= 0 {
		dur = time.Second / 30
	}
	force := C.int(0)
	if key {
		force = 1
	}
	for {
		rc := C.miniav_vp8_encode(e.e, (*C.uchar)(&y[0]), (*C.uchar)(&u[0]), (*C.uchar)(&v[0]),
			C.int(ys), C.int(cs), C.longlong(pts*9/100000), C.ulong(dur*9/100000), force,
			(*C.uchar)(&e.out[0]), C.size_t(len(e.out)))
		n, k := e.e.n, e.e.key
		if rc != 0 {
			return nil, false, fmt.Errorf("vp8enc: encode: libvpx error %d: %s", int(rc), C.GoString(C.miniav_vp8_error(e.e)))
		}
		if int(n) <= len(e.out) {
			return e.out[:n], k != 0, nil
		}
		// Too big to copy: the frame is lost to the buffer, so grow it and
		// encode the same picture again as a keyframe (never seen at
		// realistic bitrates; it keeps the stream decodable).
		e.out = make([]byte, int(n)*2)
		force = 1
	}
}

// Close frees the encoder. It may be called more than once.
func (e *Encoder) Close() {
	if e.closed {
		return
	}
	e.closed = true
	C.miniav_vp8_close(e.e)
	C.free(unsafe.Pointer(e.e))
}
