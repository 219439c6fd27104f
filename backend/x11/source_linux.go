package x11

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xproto"
	"golang.org/x/sys/unix"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
)

const defaultBuffers = 3

// segment is one SysV shared memory segment attached by us and the server.
type segment struct {
	id  int
	mem []byte
	seg shm.Seg
}

// job is one capture: for display capture Read sends the request itself
// (sent is true) so that two can be in flight; for a window the capture
// goroutine first reads the window's geometry.
type job struct {
	idx   int
	seq   uint64
	sent  bool
	ts    time.Duration
	rect  image.Rectangle
	shmC  shm.GetImageCookie
	plain xproto.GetImageCookie
	cur   xfixes.GetCursorImageCookie
}

// result is a finished capture.
type result struct {
	idx  int
	seq  uint64
	ts   time.Duration
	rect image.Rectangle // captured area in root coordinates
	data []byte          // plain GetImage: the reply's pixels
	err  error
	skip bool // nothing to capture now (window off screen)
}

// maxInflight is how many requests unpaced capture keeps in flight.
const maxInflight = 2

type source struct {
	conn    *xgb.Conn
	root    xproto.Window
	window  xproto.Window // 0 for display capture
	screen  image.Rectangle
	region  image.Rectangle // display capture area
	info    backend.Info
	useShm  bool
	unpaced bool
	cursor  bool // draw the pointer in (XFIXES)
	obs     backend.Observer

	sched sched
	segs  []segment
	free  chan int // indices of segments not lent and not in flight
	refs  atomic.Int32
	once  sync.Once // detaches segments

	jobs     chan job
	results  chan result
	inflight int
	seq      uint64 // unpaced frame counter
	wg       sync.WaitGroup

	windowGone atomic.Bool
}

// Open implements backend.Backend.
func (Backend) Open(ctx context.Context, a string, cfg backend.Config) (backend.Source, error) {
	p, err := parseAddr(a)
	if err != nil {
		return nil, err
	}
	if pf := cfg.Video.PixelFormat; pf != 0 && pf != format.BGRX {
		return nil, fmt.Errorf("x11: pixel format %v (have BGRX): %w", pf, backend.ErrNotSupported)
	}
	rate := cfg.Video.FrameRate
	if rate.IsZero() {
		rate = format.FPS(30)
	}
	if rate.Num <= 0 || rate.Den <= 0 || rate.Float() > 1000 || rate.Float() < 1e-3 {
		return nil, fmt.Errorf("x11: frame rate %v (want 0.001 to 1000): %w", rate, backend.ErrNotSupported)
	}
	c, err := dial(p.display)
	if err != nil {
		return nil, err
	}
	s := &source{conn: c, window: p.window, unpaced: cfg.Unpaced, obs: cfg.Observer}
	if s.obs == nil {
		s.obs = backend.NopObserver{}
	}
	s.refs.Store(1)
	s.wg.Add(1)
	go func() { defer s.wg.Done(); drain(c, s) }()
	fail := func(err error) (backend.Source, error) {
		s.shutdown()
		s.release()
		return nil, err
	}
	if cfg.Cursor {
		err := xfixes.Init(c)
		if err == nil {
			// XFIXES wants the version negotiated before any other request.
			_, err = xfixes.QueryVersion(c, 4, 0).Reply()
		}
		if err != nil {
			return fail(fmt.Errorf("x11: drawing the cursor needs XFIXES: %v: %w", err, backend.ErrNotSupported))
		}
		s.cursor = true
	}
	setup := xproto.Setup(c)
	scr := setup.DefaultScreen(c)
	s.root = scr.Root
	if err := screenFormat(setup, scr); err != nil {
		return fail(err)
	}
	s.screen = image.Rect(0, 0, int(scr.WidthInPixels), int(scr.HeightInPixels))
	v := format.Video{PixelFormat: format.BGRX, FrameRate: rate}
	kind := backend.KindDisplay
	if s.window != 0 {
		kind = backend.KindWindow
		if !cfg.Region.Empty() {
			return fail(fmt.Errorf("x11: a region applies to display capture, not to a window: %w", backend.ErrNotSupported))
		}
		// Watch for the window's destruction.
		err := xproto.ChangeWindowAttributesChecked(c, s.window, xproto.CwEventMask, []uint32{xproto.EventMaskStructureNotify}).Check()
		if err != nil {
			return fail(fmt.Errorf("x11: window %#x on %s: %v: %w", uint32(s.window), p.display, err, backend.ErrNotFound))
		}
		r, err := windowRect(c, s.window, s.root)
		if err != nil {
			return fail(fmt.Errorf("x11: window %#x on %s: %v: %w", uint32(s.window), p.display, err, backend.ErrNotFound))
		}
		r = r.Intersect(s.screen)
		v.Width, v.Height = r.Dx(), r.Dy()
	} else {
		s.region = s.screen
		if p.monitor != "" {
			found := false
			for _, m := range monitors(c, s.root) {
				if m.name == p.monitor {
					s.region, found = m.r.Intersect(s.screen), true
				}
			}
			if !found || s.region.Empty() {
				return fail(fmt.Errorf("x11: no RandR monitor %q on %s: %w", p.monitor, p.display, backend.ErrNotFound))
			}
		}
		if !cfg.Region.Empty() {
			if !cfg.Region.In(s.region) {
				return fail(fmt.Errorf("x11: region %v is not inside the captured area %v: %w", cfg.Region, s.region, backend.ErrNotSupported))
			}
			s.region = cfg.Region
		}
		v.Width, v.Height = s.region.Dx(), s.region.Dy()
	}
	if w, h := cfg.Video.Width, cfg.Video.Height; (w != 0 || h != 0) && (w != v.Width || h != v.Height) {
		return fail(fmt.Errorf("x11: size %dx%d requested but the capture area is %dx%d (no scaling; use Config.Region): %w", w, h, v.Width, v.Height, backend.ErrNotSupported))
	}
	n := cfg.Buffers
	if n == 0 {
		n = defaultBuffers
	}
	n = max(n, 2)
	s.info = backend.Info{Kind: kind, Video: v}
	switch {
	case p.noShm:
		s.info.Mode = "getimage (MIT-SHM disabled by shm=0)"
	default:
		if err := shm.Init(c); err != nil {
			s.info.Mode = "getimage (MIT-SHM unavailable)"
			break
		}
		// A window is clipped to the screen, so a screen-sized segment
		// holds any frame of it.
		size := s.region.Dx() * s.region.Dy() * 4
		if s.window != 0 {
			size = s.screen.Dx() * s.screen.Dy() * 4
		}
		if err := s.attach(n, size); err != nil {
			for _, g := range s.segs {
				if g.seg != 0 {
					shm.Detach(c, g.seg)
				}
			}
			s.detach()
			s.segs = nil
			s.info.Mode = fmt.Sprintf("getimage (MIT-SHM attach failed: %v)", err)
			break
		}
		s.useShm = true
		s.info.Mode = "mit-shm"
		s.info.ZeroCopy = true
	}
	s.free = make(chan int, len(s.segs))
	for i := range s.segs {
		s.free <- i
	}
	s.sched.init(rate.Interval(), cfg.Unpaced)
	s.jobs = make(chan job, maxInflight)
	s.results = make(chan result, maxInflight)
	s.wg.Add(1)
	go s.worker()
	return s, nil
}

// attach creates n segments of size bytes, attached by the server and
// marked for removal at once.
func (s *source) attach(n, size int) error {
	for range n {
		id, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|0o600)
		if err != nil {
			return fmt.Errorf("shmget: %w", err)
		}
		mem, err := unix.SysvShmAttach(id, 0, 0)
		if err != nil {
			unix.SysvShmCtl(id, unix.IPC_RMID, nil)
			return fmt.Errorf("shmat: %w", err)
		}
		s.segs = append(s.segs, segment{id: id, mem: mem})
		seg, err := shm.NewSegId(s.conn)
		if err == nil {
			err = shm.AttachChecked(s.conn, seg, uint32(id), false).Check()
		}
		unix.SysvShmCtl(id, unix.IPC_RMID, nil)
		if err != nil {
			return err
		}
		s.segs[len(s.segs)-1].seg = seg
	}
	return nil
}

func (s *source) detach() {
	for _, g := range s.segs {
		unix.SysvShmDetach(g.mem)
	}
}

// release drops one reference to the segments; the last one detaches them.
func (s *source) release() {
	if s.refs.Add(-1) == 0 {
		s.once.Do(s.detach)
	}
}

// worker runs the X requests so that Read can wait for replies and for
// ctx at once.
func (s *source) worker() {
	defer s.wg.Done()
	for j := range s.jobs {
		s.results <- s.capture(j)
	}
}

// send issues the request of a display capture.
func (s *source) send(j *job) {
	j.sent, j.rect, j.ts = true, s.region, backend.Now()
	x, y, w, h := int16(j.rect.Min.X), int16(j.rect.Min.Y), uint16(j.rect.Dx()), uint16(j.rect.Dy())
	if s.useShm {
		j.shmC = shm.GetImage(s.conn, xproto.Drawable(s.root), x, y, w, h, 0xffffffff, xproto.ImageFormatZPixmap, s.segs[j.idx].seg, 0)
	} else {
		j.plain = xproto.GetImage(s.conn, xproto.ImageFormatZPixmap, xproto.Drawable(s.root), x, y, w, h, 0xffffffff)
	}
	if s.cursor {
		j.cur = xfixes.GetCursorImage(s.conn)
	}
}

func (s *source) capture(j job) result {
	if !j.sent {
		// A window is read through the root at its on-screen position
		// (what is visible there, as ffmpeg's x11grab does); the root is
		// always viewable, so unmapped or obscured parts never fail with
		// BadMatch.
		if s.windowGone.Load() {
			return result{idx: j.idx, err: fmt.Errorf("x11: window %#x was destroyed: %w", uint32(s.window), backend.ErrDeviceLost)}
		}
		wr, err := windowRect(s.conn, s.window, s.root)
		if err != nil {
			return result{idx: j.idx, err: s.wrap(err)}
		}
		rect := wr.Intersect(s.screen)
		if rect.Empty() {
			return result{idx: j.idx, skip: true}
		}
		j.sent, j.rect, j.ts = true, rect, backend.Now()
		x, y, w, h := int16(rect.Min.X), int16(rect.Min.Y), uint16(rect.Dx()), uint16(rect.Dy())
		if s.useShm {
			j.shmC = shm.GetImage(s.conn, xproto.Drawable(s.root), x, y, w, h, 0xffffffff, xproto.ImageFormatZPixmap, s.segs[j.idx].seg, 0)
		} else {
			j.plain = xproto.GetImage(s.conn, xproto.ImageFormatZPixmap, xproto.Drawable(s.root), x, y, w, h, 0xffffffff)
		}
		if s.cursor {
			j.cur = xfixes.GetCursorImage(s.conn)
		}
	}
	r := result{idx: j.idx, seq: j.seq, ts: j.ts, rect: j.rect}
	var pix []byte
	if s.useShm {
		_, err := j.shmC.Reply()
		if err != nil {
			r.err = s.wrap(err)
			return r
		}
		pix = s.segs[j.idx].mem
	} else {
		rep, err := j.plain.Reply()
		if err != nil {
			r.err = s.wrap(err)
			return r
		}
		if n := j.rect.Dx() * j.rect.Dy() * 4; len(rep.Data) < n {
			r.err = fmt.Errorf("x11: GetImage returned %d bytes for %v: %w", len(rep.Data), j.rect, backend.ErrNotSupported)
			return r
		}
		r.data = rep.Data
		pix = rep.Data
	}
	if s.cursor {
		cur, err := j.cur.Reply()
		if err != nil {
			r.err = s.wrap(err)
			return r
		}
		drawCursor(pix, j.rect, cur)
	}
	return r
}

// drawCursor blends the cursor image (premultiplied ARGB, as XFIXES
// reports it) over the BGRX frame pix of the screen area rect:
// dst = src + dst·(255−α)/255, per channel.
func drawCursor(pix []byte, rect image.Rectangle, c *xfixes.GetCursorImageReply) {
	w, h := int(c.Width), int(c.Height)
	if len(c.CursorImage) < w*h {
		return
	}
	x0 := int(c.X) - int(c.Xhot) - rect.Min.X
	y0 := int(c.Y) - int(c.Yhot) - rect.Min.Y
	stride := rect.Dx() * 4
	for cy := max(0, -y0); cy < h && y0+cy < rect.Dy(); cy++ {
		row := pix[(y0+cy)*stride:]
		for cx := max(0, -x0); cx < w && x0+cx < rect.Dx(); cx++ {
			p := c.CursorImage[cy*w+cx]
			a := p >> 24
			if a == 0 {
				continue
			}
			d := row[(x0+cx)*4:]
			for i := range 3 {
				v := (p>>(8*i))&0xff + (uint32(d[i])*(255-a)+127)/255
				d[i] = byte(min(v, 255))
			}
		}
	}
}

func (s *source) wrap(err error) error {
	if err == nil {
		return nil
	}
	if lost(err) {
		return fmt.Errorf("x11: connection to the X server lost: %v: %w", err, backend.ErrDeviceLost)
	}
	if s.window != 0 {
		var we xproto.WindowError
		var de xproto.DrawableError
		if s.windowGone.Load() || errors.As(err, &we) || errors.As(err, &de) {
			return fmt.Errorf("x11: window %#x is gone: %v: %w", uint32(s.window), err, backend.ErrDeviceLost)
		}
	}
	return fmt.Errorf("x11: capture: %v", err)
}

// Info implements backend.Source.
func (s *source) Info() backend.Info { return s.info }

// acquire waits for a free segment (none needed without MIT-SHM).
func (s *source) acquire(ctx context.Context, wait bool) (int, bool, error) {
	if !s.useShm {
		return 0, true, nil
	}
	select {
	case i := <-s.free:
		return i, true, nil
	default:
	}
	if !wait {
		return 0, false, nil
	}
	select {
	case i := <-s.free:
		return i, true, nil
	case <-ctx.Done():
		return 0, false, ctx.Err()
	}
}

// issue starts capture k into segment idx.
func (s *source) issue(idx int, seq uint64) {
	j := job{idx: idx, seq: seq}
	if s.window == 0 {
		s.send(&j)
	}
	s.jobs <- j
	s.inflight++
}

// topUp keeps up to maxInflight unpaced requests in flight while free
// segments remain.
func (s *source) topUp() {
	for s.inflight < maxInflight {
		idx, ok, _ := s.acquire(context.Background(), false)
		if !ok {
			return
		}
		s.issue(idx, s.seq)
		s.seq++
	}
}

// Read implements backend.Source.
func (s *source) Read(ctx context.Context, b *backend.Buffer) error {
	for {
		if s.unpaced {
			s.topUp()
		}
		if s.inflight == 0 {
			var seq uint64
			if s.unpaced {
				seq = s.seq
			} else {
				k, _, err := s.sched.next(ctx)
				if err != nil {
					return err
				}
				seq = k
			}
			idx, _, err := s.acquire(ctx, true)
			if err != nil {
				return err
			}
			if s.unpaced {
				s.seq++
			}
			s.issue(idx, seq)
		}
		var r result
		select {
		case r = <-s.results:
			s.inflight--
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.err != nil || r.skip {
			if s.useShm {
				s.free <- r.idx
			}
			if r.err != nil {
				return r.err
			}
			continue
		}
		w, h := r.rect.Dx(), r.rect.Dy()
		v := s.info.Video
		v.Width, v.Height = w, h
		b.Video = v
		b.NumPlanes = 1
		b.Strides[0] = w * 4
		b.Timestamp = r.ts
		b.Sequence = r.seq
		if s.useShm {
			b.Planes[0] = s.segs[r.idx].mem[: w*h*4 : w*h*4]
			s.refs.Add(1)
			b.Releaser = s
			b.Token = uint64(r.idx)
		} else {
			b.Planes[0] = r.data[: w*h*4 : w*h*4]
			b.Flags |= backend.FlagCopied
			b.Releaser = nopReleaser{}
		}
		if s.unpaced {
			// Keep requests in flight while the consumer works.
			s.topUp()
		}
		return nil
	}
}

// ReleaseBuffer implements backend.Releaser: the segment goes back to the
// ring.
func (s *source) ReleaseBuffer(token uint64) {
	s.free <- int(token)
	s.release()
}

type nopReleaser struct{}

func (nopReleaser) ReleaseBuffer(uint64) {}

// shutdown closes the connection and waits for the goroutines.
func (s *source) shutdown() {
	if s.jobs != nil {
		close(s.jobs)
	}
	s.conn.Close()
	s.wg.Wait()
}

// Close implements backend.Source. Segments still lent stay mapped until
// their frames are released.
func (s *source) Close() error {
	s.shutdown()
	s.release()
	return nil
}
