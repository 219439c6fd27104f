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
	"github.com/jezek/xgb/xproto"
	"golang.org/x/sys/unix"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/freelist"
	"github.com/miniav-go/miniav/internal/pacer"
	"github.com/miniav-go/miniav/internal/x11wire"
)

const defaultBuffers = 3

// buffer is one capture buffer: a SysV shared memory segment attached by
// us and the server (MIT-SHM), or process memory GetImage replies are
// read into.
type buffer struct {
	id  int // SysV id; -1 for process memory
	mem []byte
	seg uint32 // server-side ShmSeg
	// region is mem's identity, lent with every frame; it is torn down
	// right before the segment is detached.
	region *backend.Memory
}

// flight is one capture request in flight.
type flight struct {
	idx  int    // buffer
	seq  uint64 // frame sequence number
	ts   time.Duration
	rect image.Rectangle // captured area in root coordinates
	img  uint64          // wire sequence number of the image request
	cur  uint64          // of the cursor request (0: none)
	full bool            // cur is GetCursorImage, not QueryPointer
}

// maxInflight bounds how many requests unpaced display capture keeps in
// flight: one less than the buffers, so that the consumer holds one.
const maxInflight = 4

type source struct {
	conn    *xgb.Conn     // set-up, window events
	w       *x11wire.Conn // the capture requests
	shm     byte          // MIT-SHM major opcode
	root    xproto.Window
	window  xproto.Window // 0 for display capture
	screen  image.Rectangle
	region  image.Rectangle // display capture area
	info    backend.Info
	useShm  bool
	unpaced bool
	obs     backend.Observer

	cursor     bool // draw the pointer in (XFIXES)
	fixes      byte // XFIXES major opcode
	fixesEvent byte // XFIXES first event
	curStale   bool // the cursor image changed since it was fetched
	curImg     []byte
	curBuf     []byte // GetCursorImage replies land here
	cur        x11wire.CursorImage
	curX, curY int

	sched pacer.Pacer
	bufs  []buffer
	free  *freelist.List // buffers not lent and not in flight
	refs  atomic.Int32
	once  sync.Once // detaches segments

	fl    [maxInflight]flight // FIFO of requests in flight
	flHd  int
	flN   int
	depth int    // requests to keep in flight (unpaced display capture)
	seq   uint64 // unpaced frame counter
	wg    sync.WaitGroup

	windowGone atomic.Bool
	closed     atomic.Bool
}

// Open implements backend.Backend.
func (Backend) Open(ctx context.Context, a string, cfg backend.Config) (backend.Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
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
	s.w, err = x11wire.Dial(ctx, p.display)
	if err != nil {
		return fail(fmt.Errorf("x11: display %s: %v: %w", p.display, err, dialErr(err)))
	}
	setup := xproto.Setup(c)
	scr := setup.DefaultScreen(c)
	s.root = scr.Root
	if err := screenFormat(setup, scr); err != nil {
		return fail(err)
	}
	if s.w.Root != uint32(s.root) {
		return fail(fmt.Errorf("x11: display %s: the two connections see different roots (%#x, %#x): %w", p.display, s.w.Root, s.root, backend.ErrNotSupported))
	}
	if cfg.Cursor {
		if err := s.initCursor(); err != nil {
			return fail(fmt.Errorf("x11: drawing the cursor needs XFIXES: %v: %w", err, backend.ErrNotSupported))
		}
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
	// A window is clipped to the screen, so a screen-sized buffer holds
	// any frame of it.
	size := s.region.Dx() * s.region.Dy() * 4
	if s.window != 0 {
		size = s.screen.Dx() * s.screen.Dy() * 4
	}
	switch ext, err := s.w.QueryExtension("MIT-SHM"); {
	case err != nil:
		return fail(s.wrap(err))
	case p.noShm:
		s.info.Mode = "getimage (MIT-SHM disabled by shm=0)"
	case !ext.Present:
		s.info.Mode = "getimage (MIT-SHM unavailable)"
	default:
		s.shm = ext.Major
		if err := s.attach(n, size); err != nil {
			if werr := s.w.Err(); werr != nil {
				return fail(s.wrap(werr))
			}
			for _, g := range s.bufs {
				if g.seg != 0 {
					s.w.ShmDetach(s.shm, g.seg)
				}
			}
			s.detach()
			s.bufs = nil
			s.info.Mode = fmt.Sprintf("getimage (MIT-SHM attach failed: %v)", err)
			break
		}
		s.useShm = true
		s.info.Mode = "mit-shm"
		s.info.ZeroCopy = true
	}
	if !s.useShm {
		for range n {
			mem := make([]byte, size)
			s.bufs = append(s.bufs, buffer{id: -1, mem: mem, region: backend.NewMemory(mem)})
		}
	}
	s.free = freelist.New(len(s.bufs))
	s.depth = min(len(s.bufs)-1, 2) // deeper measured no faster: the server is the bound
	s.sched.Init(rate.Interval())
	return s, nil
}

// dialErr maps an x11wire.Dial failure to a backend error.
func dialErr(err error) error {
	if errors.Is(err, x11wire.ErrRefused) {
		return backend.ErrPermissionDenied
	}
	return backend.ErrNotFound
}

// attach creates n segments of size bytes, rounded up to whole pages (so
// a GPU can import them), attached by the server and marked for removal at
// once.
func (s *source) attach(n, size int) error {
	page := unix.Getpagesize()
	size = (size + page - 1) &^ (page - 1)
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
		s.bufs = append(s.bufs, buffer{id: id, mem: mem, region: backend.NewMemory(mem)})
		seg, err := s.w.NewID()
		if err == nil {
			err = s.w.ShmAttach(s.shm, seg, uint32(id), false)
		}
		if err == nil {
			err = s.w.Sync()
		}
		unix.SysvShmCtl(id, unix.IPC_RMID, nil)
		if err != nil {
			return err
		}
		s.bufs[len(s.bufs)-1].seg = seg
	}
	return nil
}

func (s *source) detach() {
	for _, g := range s.bufs {
		g.region.Teardown()
		if g.id >= 0 {
			unix.SysvShmDetach(g.mem)
		}
	}
}

// release drops one reference to the segments; the last one detaches them.
func (s *source) release() {
	if s.refs.Add(-1) == 0 {
		s.once.Do(s.detach)
	}
}

func (s *source) wrap(err error) error {
	if err == nil {
		return nil
	}
	if canceled(err) {
		return err
	}
	var xe *x11wire.Error
	if !errors.As(err, &xe) {
		return fmt.Errorf("x11: connection to the X server lost: %v: %w", err, backend.ErrDeviceLost)
	}
	if s.window != 0 && (s.windowGone.Load() || xe.Code == x11wire.BadWindow || xe.Code == x11wire.BadDrawable) {
		return fmt.Errorf("x11: window %#x is gone: %v: %w", uint32(s.window), err, backend.ErrDeviceLost)
	}
	return fmt.Errorf("x11: capture: %v", err)
}

// Info implements backend.Source.
func (s *source) Info() backend.Info { return s.info }

// acquire takes a free buffer, waiting for one when wait is set.
func (s *source) acquire(ctx context.Context, wait bool) (int, bool, error) {
	if !wait {
		i, ok := s.free.TryGet()
		return i, ok, nil
	}
	i, err := s.free.Get(ctx)
	return i, err == nil, err
}

// issue sends the requests capturing rect into buffer idx as frame seq.
func (s *source) issue(idx int, seq uint64, rect image.Rectangle) error {
	f := flight{idx: idx, seq: seq, rect: rect, ts: backend.Now()}
	x, y, w, h := int16(rect.Min.X), int16(rect.Min.Y), uint16(rect.Dx()), uint16(rect.Dy())
	var err error
	if s.useShm {
		f.img, err = s.w.ShmGetImage(s.shm, uint32(s.root), x, y, w, h, 0xffffffff, x11wire.ZPixmap, s.bufs[idx].seg, 0)
	} else {
		f.img, err = s.w.GetImage(x11wire.ZPixmap, uint32(s.root), x, y, w, h, 0xffffffff, s.bufs[idx].mem)
	}
	if err == nil && s.cursor {
		f.full = s.curStale
		s.curStale = false
		if f.full {
			f.cur, err = s.w.XFixesGetCursorImage(s.fixes, s.curBuf)
		} else {
			f.cur, err = s.w.QueryPointer(uint32(s.root))
		}
	}
	if err != nil {
		s.free.Put(idx)
		return s.wrap(err)
	}
	s.fl[(s.flHd+s.flN)%maxInflight] = f
	s.flN++
	return nil
}

// windowArea returns the on-screen part of the window in root coordinates
// (empty when it is off screen). A window is read through the root at its
// on-screen position (what is visible there, as ffmpeg's x11grab does);
// the root is always viewable, so unmapped or obscured parts never fail
// with BadMatch.
func (s *source) windowArea() (image.Rectangle, error) {
	if s.windowGone.Load() {
		return image.Rectangle{}, fmt.Errorf("x11: window %#x was destroyed: %w", uint32(s.window), backend.ErrDeviceLost)
	}
	gs, err := s.w.GetGeometry(uint32(s.window))
	if err != nil {
		return image.Rectangle{}, s.wrap(err)
	}
	ts, err := s.w.TranslateCoordinates(uint32(s.window), uint32(s.root), 0, 0)
	if err != nil {
		return image.Rectangle{}, s.wrap(err)
	}
	gr, err := s.w.Wait(gs)
	if err != nil {
		s.w.Wait(ts)
		return image.Rectangle{}, s.wrap(err)
	}
	tr, err := s.w.Wait(ts)
	if err != nil {
		return image.Rectangle{}, s.wrap(err)
	}
	g := x11wire.ParseGeometry(&gr)
	x, y := x11wire.ParseTranslate(&tr)
	return image.Rect(int(x), int(y), int(x)+int(g.Width), int(y)+int(g.Height)).Intersect(s.screen), nil
}

// topUp keeps up to maxInflight unpaced display requests in flight while
// free buffers remain.
func (s *source) topUp() error {
	for s.flN < s.depth {
		idx, ok, _ := s.acquire(context.Background(), false)
		if !ok {
			return nil
		}
		if err := s.issue(idx, s.seq, s.region); err != nil {
			return err
		}
		s.seq++
	}
	return nil
}

// start issues the next capture when none is in flight (waiting for its
// tick when paced). skip reports a window off screen.
func (s *source) start(ctx context.Context) (skip bool, err error) {
	if s.unpaced && s.window == 0 {
		if err := s.topUp(); err != nil || s.flN > 0 {
			return false, err
		}
	}
	if s.flN > 0 {
		return false, nil
	}
	var seq uint64
	if s.unpaced {
		seq = s.seq
	} else {
		k, _, err := s.sched.Next(ctx)
		if err != nil {
			return false, err
		}
		seq = k
	}
	idx, _, err := s.acquire(ctx, true)
	if err != nil {
		return false, err
	}
	if s.unpaced {
		s.seq++
	}
	rect := s.region
	if s.window != 0 {
		if rect, err = s.windowArea(); err != nil || rect.Empty() {
			s.free.Put(idx)
			return err == nil, err
		}
	}
	return false, s.issue(idx, seq, rect)
}

// Read implements backend.Source.
func (s *source) Read(ctx context.Context, b *backend.Buffer) error {
	if s.closed.Load() {
		return fmt.Errorf("x11: read after Close: %w", backend.ErrClosed)
	}
	s.w.Bind(ctx)
	for {
		skip, err := s.start(ctx)
		if err != nil {
			return err
		}
		if skip {
			continue
		}
		f := &s.fl[s.flHd]
		err = nil
		if f.img != 0 {
			var r x11wire.Reply
			r, err = s.w.Wait(f.img)
			if canceled(err) {
				return err // the request stays in flight for the next Read
			}
			f.img = 0
			if err == nil && !s.useShm && r.Len < f.rect.Dx()*f.rect.Dy()*4 {
				err = fmt.Errorf("x11: GetImage returned %d bytes for %v: %w", r.Len, f.rect, backend.ErrNotSupported)
			}
		}
		if f.cur != 0 {
			cerr := s.cursorReply(f)
			if canceled(cerr) {
				return cerr
			}
			f.cur = 0
			if err == nil {
				err = cerr
			}
		}
		done := *f
		s.flHd = (s.flHd + 1) % maxInflight
		s.flN--
		if err != nil {
			s.free.Put(done.idx)
			return s.wrap(err)
		}
		w, h := done.rect.Dx(), done.rect.Dy()
		mem := s.bufs[done.idx].mem[: w*h*4 : w*h*4]
		if s.cursor {
			drawCursor(mem, done.rect, s.curX, s.curY, &s.cur, s.curImg)
		}
		v := s.info.Video
		v.Width, v.Height = w, h
		b.Video = v
		b.NumPlanes = 1
		b.Strides[0] = w * 4
		b.Planes[0] = mem
		b.Timestamp = done.ts
		b.Sequence = done.seq
		b.Releaser = s
		b.Token = uint64(done.idx)
		b.Memory = s.bufs[done.idx].region
		if !s.useShm {
			b.Flags |= backend.FlagCopied
		}
		s.refs.Add(1)
		if s.unpaced && s.window == 0 {
			// Keep requests in flight while the consumer works.
			if err := s.topUp(); err != nil {
				b.Releaser.ReleaseBuffer(b.Token)
				return err
			}
		}
		return nil
	}
}

// ReleaseBuffer implements backend.Releaser: the buffer goes back to the
// ring.
func (s *source) ReleaseBuffer(token uint64) {
	s.free.Put(int(token))
	s.release()
}

// shutdown closes the connections and waits for the event goroutine.
func (s *source) shutdown() {
	if s.w != nil {
		s.w.Close()
	}
	closeNow(s.conn)
	s.wg.Wait()
}

// Close implements backend.Source. Segments still lent stay mapped until
// their frames are released. Closing again does nothing.
func (s *source) Close() error {
	if s.closed.Swap(true) {
		return nil // the source's reference is already dropped
	}
	s.shutdown()
	s.release()
	return nil
}

// canceled reports whether err is a context's.
func canceled(err error) bool {
	return err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}
