package testsrc

import (
	"context"
	"fmt"
	"image"
	"slices"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/pool"
)

// bar colours: 75% colour bars, as (Y, U, V) in BT.601 limited range and
// as (R, G, B).
var (
	barsYUV = [8][3]byte{{180, 128, 128}, {162, 44, 142}, {131, 156, 44}, {112, 72, 58}, {84, 184, 198}, {65, 100, 212}, {35, 212, 114}, {16, 128, 128}}
	barsRGB = [8][3]byte{{191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0}, {191, 0, 191}, {191, 0, 0}, {0, 0, 191}, {0, 0, 0}}
)

// BarRGB returns the colour of bar i (0..7) of the pattern in RGB.
func BarRGB(i int) [3]byte { return barsRGB[i&7] }

// BarYUV returns the colour of bar i (0..7) of the pattern in limited-range
// BT.601 YCbCr.
func BarYUV(i int) [3]byte { return barsYUV[i&7] }

// BarGray returns the full-range luma of bar i (0..7), as GRAY8 frames
// carry it: round(0.299 R + 0.587 G + 0.114 B).
func BarGray(i int) byte {
	c := barsRGB[i&7]
	return byte((299*int(c[0]) + 587*int(c[1]) + 114*int(c[2]) + 500) / 1000)
}

// Speed is how many pixels the bars move left per frame.
const Speed = 4

// BarAt returns which bar (0..7) covers column x of a w-pixel-wide frame
// with index k (the pattern scrolls left by Speed pixels per frame).
func BarAt(x, w int, k uint64) int {
	off := int(k*Speed%uint64(w)) &^ 1
	return ((x + off) % w) * 8 / w
}

type videoSource struct {
	sched
	v        format.Video // what the source delivers
	rv       format.Video // what it renders: v, or I420 for MJPEG
	jpeg     *jpegEncoder // MJPEG: encodes the rendered frame
	corrupt  int          // MJPEG: truncate every corrupt-th frame
	ring     []ringFrame  // MJPEG ?ring=N: the pre-encoded frames
	scratch  []byte       // MJPEG: the rendered I420 frame
	kind     backend.Kind
	pool     *pool.Pool
	ringPool *pool.Pool // the ring's buffers
	size     int
	static   bool
	noStamp  bool
	noise    int
	noiseTab noise // when noise > 0
	// base holds, per plane, one row of the pattern for two widths, so
	// the row for a scroll offset is a sub-slice.
	base    [3][]byte
	planes  int
	lose    int64
	obs     backend.Observer
	painted map[*byte]bool // static mode: pool buffers already painted
}

func openVideo(cfg backend.Config, p params, kind backend.Kind, def format.Video) (*videoSource, error) {
	v := cfg.Video
	if v.Width == 0 && v.Height == 0 {
		v.Width, v.Height = def.Width, def.Height
	}
	if v.PixelFormat == 0 {
		v.PixelFormat = def.PixelFormat
	}
	if v.FrameRate.IsZero() {
		v.FrameRate = def.FrameRate
	}
	if !slices.Contains(VideoFormats, v.PixelFormat) && !slices.Contains(EncodedFormats, v.PixelFormat) {
		return nil, fmt.Errorf("testsrc: pixel format %v (have %v %v): %w", v.PixelFormat, VideoFormats, EncodedFormats, backend.ErrNotSupported)
	}
	if !sizes.Contains(v.Width, v.Height) {
		return nil, fmt.Errorf("testsrc: size %dx%d (want even sizes within %v): %w", v.Width, v.Height, sizes, backend.ErrNotSupported)
	}
	if v.FrameRate.Num <= 0 || v.FrameRate.Den <= 0 || v.FrameRate.Float() > 1000 || v.FrameRate.Float() < 1e-3 {
		return nil, fmt.Errorf("testsrc: frame rate %v: %w", v.FrameRate, backend.ErrNotSupported)
	}
	n := max(cfg.Buffers, 2)
	rv := v
	if v.PixelFormat == format.MJPEG {
		rv.PixelFormat = format.I420
	}
	size := rv.PixelFormat.FrameSize(v.Width, v.Height)
	s := &videoSource{
		v: v, rv: rv, corrupt: p.corrupt, kind: kind, size: size, static: p.static, noStamp: p.noStamp, noise: p.noise, lose: p.lose, obs: cfg.Observer,
		planes:  rv.PixelFormat.NumPlanes(),
		painted: make(map[*byte]bool),
		pool:    pool.New(pool.WithMaxBytes(int64(n) * int64(size+size/4+256))),
	}
	if p.noise > 0 {
		s.noiseTab = newNoise(p.noise)
	}
	if s.obs == nil {
		s.obs = backend.NopObserver{}
	}
	if v.PixelFormat == format.MJPEG {
		s.scratch = make([]byte, size)
		s.jpeg = newJPEGEncoder(rv, p.quality)
		s.size = s.jpeg.maxSize()
		s.pool = pool.New(pool.WithMaxBytes(int64(n) * int64(s.size+s.size/4+256)))
	}
	s.sched.init(v.FrameRate.Interval(), cfg.Unpaced)
	s.buildBase()
	if s.jpeg != nil && p.ring > 0 {
		if err := s.encodeRing(p.ring); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *videoSource) Info() backend.Info {
	return backend.Info{Kind: s.kind, Video: s.v, Mode: "synthetic"}
}

// Close gives the ring's frames back and closes the pools: buffers lent
// out stay valid until they are released, and each buffer's Memory is torn
// down once it is free.
func (s *videoSource) Close() error {
	s.sched.close()
	for _, f := range s.ring {
		f.buf.Release()
	}
	s.ring = nil
	s.pool.Close()
	if s.ringPool != nil {
		s.ringPool.Close()
	}
	return nil
}

// ringFrame is a pre-encoded MJPEG frame: n bytes of buf.
type ringFrame struct {
	buf *pool.Buffer
	n   int
}

// encodeRing encodes frames 0..n-1 into buffers of their own.
func (s *videoSource) encodeRing(n int) error {
	s.ringPool = pool.New(pool.WithMaxBytes(int64(n) * int64(s.size+s.size/4+256)))
	for k := range uint64(n) {
		pb, err := s.ringPool.Get(s.size)
		if err != nil {
			return err
		}
		m, err := s.encodeFrame(pb.Bytes(), k)
		if err != nil {
			return fmt.Errorf("testsrc: MJPEG frame %d: %w", k, err)
		}
		s.ring = append(s.ring, ringFrame{pb, m})
	}
	return nil
}

// encodeFrame renders frame k and encodes it into dst, cut short when k
// is one of the corrupt frames; it returns the length.
func (s *videoSource) encodeFrame(dst []byte, k uint64) (int, error) {
	var raw backend.Buffer
	raw.Video = s.rv
	s.render(s.scratch, k, &raw)
	n, err := s.jpeg.encode(dst, &raw)
	if s.corrupt > 0 && k%uint64(s.corrupt) == uint64(s.corrupt-1) {
		n /= 2
	}
	return n, err
}

// buildBase renders one pattern row of width 2w per plane.
func (s *videoSource) buildBase() {
	w := s.v.Width
	px := func(x int) int { return (x % w) * 8 / w }
	pf := s.rv.PixelFormat
	for p := 0; p < s.planes; p++ {
		bpl, _ := pf.PlaneSize(p, w, 2)
		row := make([]byte, 2*bpl)
		switch pf {
		case format.I420:
			if p == 0 {
				for x := range 2 * w {
					row[x] = barsYUV[px(x)][0]
				}
			} else {
				for x := range 2 * bpl {
					row[x] = barsYUV[px(2*x)][p]
				}
			}
		case format.NV12:
			if p == 0 {
				for x := range 2 * w {
					row[x] = barsYUV[px(x)][0]
				}
			} else {
				for x := 0; x+1 < 2*bpl; x += 2 {
					c := barsYUV[px(x)]
					row[x], row[x+1] = c[1], c[2]
				}
			}
		case format.YUYV, format.UYVY:
			for x := 0; x < 2*w; x += 2 {
				c0, c1 := barsYUV[px(x)], barsYUV[px(x+1)]
				if pf == format.YUYV {
					copy(row[2*x:], []byte{c0[0], c0[1], c1[0], c0[2]})
				} else {
					copy(row[2*x:], []byte{c0[1], c0[0], c0[2], c1[0]})
				}
			}
		case format.GRAY8:
			for x := range 2 * w {
				row[x] = BarGray(px(x))
			}
		default:
			bpp := bpl / w
			for x := range 2 * w {
				c := barsRGB[px(x)]
				putRGB(row[x*bpp:], pf, c[0], c[1], c[2])
			}
		}
		s.base[p] = row
	}
}

func putRGB(d []byte, pf format.PixelFormat, r, g, b byte) {
	switch pf {
	case format.RGBA:
		d[0], d[1], d[2], d[3] = r, g, b, 255
	case format.BGRA:
		d[0], d[1], d[2], d[3] = b, g, r, 255
	case format.BGRX:
		d[0], d[1], d[2], d[3] = b, g, r, 0
	case format.RGB24:
		d[0], d[1], d[2] = r, g, b
	case format.BGR24:
		d[0], d[1], d[2] = b, g, r
	}
}

func (s *videoSource) Read(ctx context.Context, b *backend.Buffer) error {
	for {
		k, ts, err := s.sched.next(ctx)
		if err != nil {
			return err
		}
		if s.lose >= 0 && int64(k) >= s.lose {
			return fmt.Errorf("testsrc: device lost after %d frames (lose=%d): %w", k, s.lose, backend.ErrDeviceLost)
		}
		if s.ring != nil {
			f := s.ring[k%uint64(len(s.ring))]
			f.buf.Retain()
			b.Video = s.v
			b.Planes[0], b.NumPlanes = f.buf.Bytes()[:f.n:f.n], 1
			b.Timestamp, b.DeviceTimestamp, b.Sequence = ts, s.sched.deviceTime(k), k
			b.Releaser, b.Memory = f.buf, f.buf.Memory()
			return nil
		}
		pb, err := s.pool.Get(s.size)
		if err != nil {
			if s.sched.unpaced {
				// As fast as buffers come back: wait for one, same frame.
				if err := s.sched.waitFreed(ctx, s.pool.Freed()); err != nil {
					return err
				}
				s.sched.k--
				continue
			}
			// A device with no free buffer drops the frame; the gap in
			// sequence numbers reports it.
			continue
		}
		b.Video = s.v
		if s.jpeg != nil {
			n, err := s.encodeFrame(pb.Bytes(), k)
			if err != nil {
				pb.Release()
				return fmt.Errorf("testsrc: MJPEG frame %d: %w", k, err)
			}
			b.Planes[0], b.NumPlanes, b.Strides[0] = pb.Bytes()[:n:n], 1, 0
		} else {
			s.render(pb.Bytes(), k, b)
		}
		b.Timestamp = ts
		b.DeviceTimestamp = s.sched.deviceTime(k)
		b.Sequence = k
		b.Releaser, b.Memory = pb, pb.Memory()
		return nil
	}
}

// render paints frame k into data and fills b's plane views.
func (s *videoSource) render(data []byte, k uint64, b *backend.Buffer) {
	w, h := s.v.Width, s.v.Height
	pf := s.rv.PixelFormat
	shift := 0
	if !s.static {
		shift = int(k*Speed%uint64(w)) &^ 1
	}
	b.Planes, b.Strides, b.NumPlanes = pf.Planes(data, w, h)
	paint := true
	if s.static && s.noise == 0 { // noise repaints: it is added to the bars
		paint = !s.painted[&data[0]]
		s.painted[&data[0]] = true
	}
	for p := range b.NumPlanes {
		plane, bpl := b.Planes[p], b.Strides[p]
		rows := len(plane) / bpl
		pxShift := shift
		if (pf == format.I420 && p > 0) || (pf == format.NV12 && p > 0) {
			pxShift = shift / 2
		}
		bytesShift := pxShift * bpl / planeWidth(pf, p, w)
		src := s.base[p][bytesShift : bytesShift+bpl]
		for y := range rows * btoi(paint) {
			copy(plane[y*bpl:(y+1)*bpl], src)
		}
	}
	if s.noise > 0 {
		s.noiseTab.add(b.Planes[0][min(StampRect(w, h).Max.Y*b.Strides[0], len(b.Planes[0])):], k)
	}
	if !s.noStamp {
		stamp(b, pf, w, h, uint32(k), paint)
	}
}

// planeWidth is the number of pixel columns a row of plane p holds.
func planeWidth(pf format.PixelFormat, p, w int) int {
	if p > 0 && (pf == format.I420 || pf == format.NV12) {
		return (w + 1) / 2
	}
	return w
}

// StampRect returns the area of a w×h frame that holds the frame index.
func StampRect(w, h int) image.Rectangle {
	bw := (w / 32) &^ 1
	bh := min(16, h/4) &^ 1
	return image.Rect(0, 0, 32*bw, bh)
}

// stamp writes k as 32 blocks, MSB first, into the top rows: the first
// row block by block, then row copies.
func stamp(b *backend.Buffer, pf format.PixelFormat, w, h int, k uint32, chroma bool) {
	r := StampRect(w, h)
	bw := r.Dx() / 32
	if bw == 0 || r.Dy() == 0 {
		return
	}
	for bit := range 32 {
		on := k>>(31-bit)&1 == 1
		for x := bit * bw; x < (bit+1)*bw; x++ {
			setPixel(b, pf, x, 0, on, chroma)
		}
	}
	s0 := b.Strides[0]
	n := r.Dx() * (b.Strides[0] / planeWidth(pf, 0, w))
	first := b.Planes[0][:n]
	for y := 1; y < r.Dy(); y++ {
		copy(b.Planes[0][y*s0:y*s0+n], first)
	}
	if chroma && (pf == format.I420 || pf == format.NV12) {
		for p := 1; p < b.NumPlanes; p++ {
			bpl := b.Strides[p] * r.Dx() / w
			for y := 0; y < r.Dy()/2; y++ {
				row := b.Planes[p][y*b.Strides[p] : y*b.Strides[p]+bpl]
				for i := range row {
					row[i] = 128
				}
			}
		}
	}
}

func setPixel(b *backend.Buffer, pf format.PixelFormat, x, y int, on, chroma bool) {
	Y, rgb := byte(16), byte(0)
	if on {
		Y, rgb = 235, 255
	}
	switch pf {
	case format.I420, format.NV12, format.GRAY8:
		b.Planes[0][y*b.Strides[0]+x] = Y
	case format.YUYV:
		i := y*b.Strides[0] + x*2
		b.Planes[0][i] = Y
		b.Planes[0][i+1] = 128
	case format.UYVY:
		i := y*b.Strides[0] + x*2
		b.Planes[0][i+1] = Y
		b.Planes[0][i] = 128
	default:
		bpp := b.Strides[0] / b.Video.Width
		putRGB(b.Planes[0][y*b.Strides[0]+x*bpp:], pf, rgb, rgb, rgb)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
