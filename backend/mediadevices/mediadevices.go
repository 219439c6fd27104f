//go:build cgo && (linux || darwin || windows)

package mediadevices

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/prop"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/pool"
)

// Scheme is the scheme of this backend's device IDs.
const Scheme = "mediadevices"

// registered is the backend in miniav's registry.
var registered = New()

func init() { backend.Register(registered) }

// bufPool is the pool every stream copies its frames into.
var bufPool = pool.New(pool.WithMaxBytes(256 << 20))

// PoolStats returns the counters of the pool frames are copied into:
// Outstanding is the number of frames not yet released (and queued).
func PoolStats() pool.Stats { return bufPool.Stats() }

// Backend is the mediadevices backend. The registered one is made by New;
// pion's driver registry is shared by all.
type Backend struct {
	mu   sync.Mutex
	open map[string]bool               // labels of open devices
	caps map[string][]format.VideoCaps // formats seen when a device was last opened
}

// New returns a Backend.
func New() *Backend {
	return &Backend{open: map[string]bool{}, caps: map[string][]format.VideoCaps{}}
}

// Name implements backend.Backend.
func (*Backend) Name() string { return Scheme }

// Kinds implements backend.Kinder.
func (*Backend) Kinds() []backend.Kind {
	return []backend.Kind{backend.KindCamera, backend.KindDisplay}
}

// kindOf maps pion's device types.
func kindOf(t driver.DeviceType) backend.Kind {
	switch t {
	case driver.Camera:
		return backend.KindCamera
	case driver.Screen:
		return backend.KindDisplay
	}
	return backend.KindUnknown
}

// drivers lists pion's video drivers of the kinds offered, sorted by label.
func drivers() []driver.Driver {
	ds := driver.GetManager().Query(driver.FilterVideoRecorder())
	ds = slices.DeleteFunc(ds, func(d driver.Driver) bool { return kindOf(d.Info().DeviceType) == backend.KindUnknown })
	slices.SortFunc(ds, func(a, b driver.Driver) int { return cmp.Compare(a.Info().Label, b.Info().Label) })
	return ds
}

// find returns the driver labelled label.
func find(label string) driver.Driver {
	for _, d := range drivers() {
		if d.Info().Label == label {
			return d
		}
	}
	return nil
}

// Devices implements backend.Backend. It lists the devices in pion's
// registry (see Rescan). The first time a device is listed (or opened) it
// is opened to read its formats, which are then remembered: a Watcher
// polling Devices does not open cameras again and again.
func (b *Backend) Devices(ctx context.Context) ([]backend.Device, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []backend.Device
	def := map[backend.Kind]int{}             // index in out of each kind's default
	pri := map[backend.Kind]driver.Priority{} // and its priority
	for _, d := range drivers() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		info := d.Info()
		dev := backend.Device{
			ID:      Scheme + ":" + info.Label,
			Name:    displayName(info),
			Kind:    kindOf(info.DeviceType),
			Backend: Scheme,
			Attrs:   map[string]string{"pion.label": info.Label, "pion.name": info.Name},
		}
		if caps, ok := b.caps[info.Label]; ok || b.open[info.Label] {
			dev.Video = caps
		} else if err := d.Open(); err != nil {
			dev.Attrs["error"] = err.Error()
		} else {
			dev.Video = capsOf(d.Properties())
			b.caps[info.Label] = dev.Video
			d.Close()
		}
		// The default of a kind is pion's highest-priority device.
		if _, ok := def[dev.Kind]; !ok || info.Priority > pri[dev.Kind] {
			def[dev.Kind], pri[dev.Kind] = len(out), info.Priority
		}
		out = append(out, dev)
	}
	for _, i := range def {
		out[i].Default = true
	}
	return out, nil
}

// displayName is the human part of pion's name ("name;bus" on Linux).
func displayName(info driver.Info) string {
	name, _, _ := strings.Cut(info.Name, ";")
	if name == "" {
		return info.Label
	}
	return name
}

// pionFormats are pion's formats that miniav carries: the pixel format
// their frames are delivered in (pion's decoded picture), and a rank for
// when a request leaves the choice open, lowest first: formats pion hands
// over without decoding a picture, then re-packed chroma, then MJPEG (a
// JPEG decode per frame).
var pionFormats = map[frame.Format]struct {
	pf   format.PixelFormat
	rank int
}{
	frame.FormatI420:  {format.I420, 0},
	frame.FormatYUYV:  {format.I422, 1},
	frame.FormatYUY2:  {format.I422, 1},
	frame.FormatUYVY:  {format.I422, 1},
	frame.FormatRGBA:  {format.RGBA, 1},
	frame.FormatNV12:  {format.I420, 2},
	frame.FormatNV21:  {format.I420, 2},
	frame.FormatMJPEG: {format.I420, 3},
}

// delivered is the pixel format frames of pion's format f are delivered
// in, 0 if none.
func delivered(f frame.Format) format.PixelFormat { return pionFormats[f].pf }

// rate converts pion's frame rate.
func rate(fps float32) format.Rational {
	switch {
	case fps <= 0:
		return format.Rational{}
	case fps == float32(math.Round(float64(fps))):
		return format.FPS(int(fps))
	}
	num, den := int(math.Round(float64(fps)*1000)), 1000
	g := gcd(num, den)
	return format.Rational{Num: num / g, Den: den / g}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// capsOf groups pion's properties by delivered format and size.
func capsOf(props []prop.Media) []format.VideoCaps {
	var caps []format.VideoCaps
	for _, p := range props {
		pf := delivered(p.FrameFormat)
		if pf == 0 || p.Width <= 0 || p.Height <= 0 {
			continue
		}
		i := slices.IndexFunc(caps, func(c format.VideoCaps) bool {
			return c.PixelFormat == pf && c.Size == format.Discrete(p.Width, p.Height)
		})
		if i < 0 {
			caps = append(caps, format.VideoCaps{PixelFormat: pf, Size: format.Discrete(p.Width, p.Height), Description: "pion " + string(p.FrameFormat)})
			i = len(caps) - 1
		} else if !strings.Contains(caps[i].Description, string(p.FrameFormat)) {
			caps[i].Description += ", " + string(p.FrameFormat)
		}
		if r := rate(p.FrameRate); !r.IsZero() && !slices.ContainsFunc(caps[i].FrameRates, func(x format.Rational) bool { return x.Cmp(r) == 0 }) {
			caps[i].FrameRates = append(caps[i].FrameRates, r)
		}
	}
	for i := range caps {
		slices.SortFunc(caps[i].FrameRates, format.Rational.Cmp)
	}
	return caps
}

// choose picks the property that fits want (zero fields: any), preferring
// the cheapest format, then the largest size, then the highest rate. ok is
// false when nothing fits.
func choose(props []prop.Media, want format.Video) (p prop.Media, v format.Video, ok bool) {
	best := -1
	for i, c := range props {
		pf := delivered(c.FrameFormat)
		r := rate(c.FrameRate)
		switch {
		case pf == 0,
			want.PixelFormat != 0 && want.PixelFormat != pf,
			want.Width != 0 && (c.Width != want.Width || c.Height != want.Height),
			!want.FrameRate.IsZero() && !r.IsZero() && r.Cmp(want.FrameRate) != 0:
			continue
		}
		if best < 0 || better(c, props[best]) {
			best = i
		}
	}
	if best < 0 {
		return p, v, false
	}
	p = props[best]
	v = format.Video{Width: p.Width, Height: p.Height, PixelFormat: delivered(p.FrameFormat), FrameRate: rate(p.FrameRate)}
	if v.FrameRate.IsZero() {
		// The driver lists no rates: ask for the wanted one (30 fps by default).
		v.FrameRate = want.FrameRate
		if v.FrameRate.IsZero() {
			v.FrameRate = format.FPS(30)
		}
		p.FrameRate = float32(v.FrameRate.Float())
	}
	return p, v, true
}

func better(a, b prop.Media) bool {
	if ra, rb := pionFormats[a.FrameFormat].rank, pionFormats[b.FrameFormat].rank; ra != rb {
		return ra < rb
	}
	if aa, ab := a.Width*a.Height, b.Width*b.Height; aa != ab {
		return aa > ab
	}
	return a.FrameRate > b.FrameRate
}

// Open implements backend.Backend.
func (b *Backend) Open(ctx context.Context, addr string, cfg backend.Config) (backend.Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !cfg.Region.Empty() || cfg.Cursor {
		return nil, fmt.Errorf("mediadevices: pion's drivers capture neither regions nor the cursor: %w", backend.ErrNotSupported)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open[addr] {
		return nil, fmt.Errorf("mediadevices: %q is already open: %w", addr, backend.ErrBusy)
	}
	d := find(addr)
	if d == nil {
		return nil, fmt.Errorf("mediadevices: no device labelled %q (pion found them when the program started; see Rescan): %w", addr, backend.ErrNotFound)
	}
	vr, ok := d.(driver.VideoRecorder)
	if !ok {
		return nil, fmt.Errorf("mediadevices: %q is not a video device: %w", addr, backend.ErrNotSupported)
	}
	if err := d.Open(); err != nil {
		return nil, fmt.Errorf("mediadevices: open %q: %w", addr, classify(err))
	}
	props := d.Properties()
	b.caps[addr] = capsOf(props)
	p, v, ok := choose(props, cfg.Video)
	if !ok {
		d.Close()
		return nil, fmt.Errorf("mediadevices: %q offers no %v (it offers %v): %w", addr, cfg.Video, b.caps[addr], backend.ErrNotSupported)
	}
	r, err := vr.VideoRecord(p) // pion closes the driver when this fails
	if err != nil {
		return nil, fmt.Errorf("mediadevices: start %q as %v: %w", addr, v, classify(err))
	}
	kind := kindOf(d.Info().DeviceType)
	s := newSource(b, addr, d, r, kind, v, cfg)
	b.open[addr] = true
	go s.run()
	return s, nil
}

// Rescan has pion enumerate its cameras and screens again, for devices
// plugged in (or, on Linux, an X display started) after the program
// started. It replaces every video driver in pion's registry, including
// any another package registered; open streams keep theirs.
func Rescan() error {
	registered.mu.Lock()
	defer registered.mu.Unlock()
	return rescan()
}

func rescan() (err error) {
	m := driver.GetManager()
	for _, d := range m.Query(driver.FilterVideoRecorder()) {
		m.Delete(d.ID())
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("mediadevices: pion's enumeration failed: %v", p)
		}
	}()
	for _, f := range initializers {
		f()
	}
	return nil
}

// closed forgets that label is open.
func (b *Backend) closed(label string) {
	b.mu.Lock()
	delete(b.open, label)
	b.mu.Unlock()
}

// classify wraps err with the backend error callers branch on.
func classify(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.EBUSY:
			return fmt.Errorf("%w: %w", err, backend.ErrBusy)
		case syscall.EACCES, syscall.EPERM:
			return fmt.Errorf("%w: %w", err, backend.ErrPermissionDenied)
		case syscall.ENOENT, syscall.ENODEV, syscall.ENXIO:
			return fmt.Errorf("%w: %w", err, backend.ErrNotFound)
		}
	}
	return err
}
