//go:build linux

package pipewire

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/portal"
)

// Name is the backend's ID scheme.
const Name = "pipewire"

func init() { backend.Register(Backend{}) }

// openTimeout bounds the wait for PipeWire to negotiate a format once the
// stream is connected (the portal's dialog is bounded by ctx only).
const openTimeout = 10 * time.Second

// Backend is the PipeWire backend.
type Backend struct{}

// Name implements backend.Backend.
func (Backend) Name() string { return Name }

// Kinds implements backend.Kinder.
func (Backend) Kinds() []backend.Kind {
	return []backend.Kind{backend.KindDisplay, backend.KindWindow, backend.KindCamera}
}

// addr is a parsed device address.
type addr struct {
	what    string // "screen", "window", "node", "camera"
	node    uint32
	name    string // camera node name or serial
	restore string
	persist uint32
	remote  string
	bus     string
	portal  string // "1" through the Camera portal, "0" never, "": camera/NAME when no socket
}

func parseAddr(a string) (addr, error) {
	path, query, _ := strings.Cut(a, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return addr{}, fmt.Errorf("pipewire: bad parameters %q: %v: %w", query, err, backend.ErrNotFound)
	}
	p := addr{restore: q.Get("restore"), remote: q.Get("remote"), bus: q.Get("bus"), portal: q.Get("portal"), persist: portal.PersistRevoked}
	if p.portal != "" && p.portal != "0" && p.portal != "1" {
		return addr{}, fmt.Errorf("pipewire: portal=%q: want 0 or 1: %w", p.portal, backend.ErrNotFound)
	}
	if v := q.Get("persist"); v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n > 2 {
			return addr{}, fmt.Errorf("pipewire: persist=%q: want 0, 1 or 2: %w", v, backend.ErrNotFound)
		}
		p.persist = uint32(n)
	}
	switch {
	case path == "" || path == "screen":
		p.what = "screen"
	case path == "window":
		p.what = "window"
	case strings.HasPrefix(path, "camera/"):
		p.what, p.name = "camera", strings.TrimPrefix(path, "camera/")
		if p.name == "" {
			return addr{}, fmt.Errorf("pipewire: camera/ needs a node name: %w", backend.ErrNotFound)
		}
	default:
		n, err := strconv.ParseUint(path, 10, 32)
		if err != nil || n == 0 {
			return addr{}, fmt.Errorf("pipewire: unknown device %q (want screen, window, camera/NAME or a node id): %w", path, backend.ErrNotFound)
		}
		p.what, p.node = "node", uint32(n)
	}
	return p, nil
}

// cameraNode is a Video/Source node in the registry.
type cameraNode struct {
	id                              uint32
	name, description, serial, path string
	caps                            []format.VideoCaps
}

// parseCameras reads mpw_list's lines: "N", id, name, description, serial
// and V4L2 path for a node, then "F", node id, SPA media subtype, and the
// format, size and framerate values of each of its EnumFormat params
// (KIND:V,V,...; KIND is n none, r range, s step, e enum), all
// tab-separated. pf maps an SPA media subtype and video format onto
// miniav's (0: unknown, left out).
func parseCameras(text string, pf func(subtype, spa uint32) format.PixelFormat) []cameraNode {
	var out []cameraNode
	byID := map[uint32]int{}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Split(line, "\t")
		switch {
		case len(f) == 6 && f[0] == "N":
			id, err := strconv.ParseUint(f[1], 10, 32)
			if err != nil || f[2] == "" {
				continue
			}
			byID[uint32(id)] = len(out)
			out = append(out, cameraNode{id: uint32(id), name: f[2], description: f[3], serial: f[4], path: f[5]})
		case len(f) == 6 && f[0] == "F":
			id, err1 := strconv.ParseUint(f[1], 10, 32)
			sub, err2 := strconv.ParseUint(f[2], 10, 32)
			i, ok := byID[uint32(id)]
			if err1 != nil || err2 != nil || !ok {
				continue
			}
			out[i].caps = append(out[i].caps, parseCaps(uint32(sub), f[3], f[4], f[5], pf)...)
		}
	}
	return out
}

// values splits "KIND:a,b,c".
func values(s string) (kind byte, vals []string) {
	k, v, ok := strings.Cut(s, ":")
	if !ok || len(k) != 1 || v == "" {
		return 0, nil
	}
	return k[0], strings.Split(v, ",")
}

func parseSize(s string) (w, h int, ok bool) {
	a, b, ok := strings.Cut(s, "x")
	if !ok {
		return 0, 0, false
	}
	w, e1 := strconv.Atoi(a)
	h, e2 := strconv.Atoi(b)
	return w, h, e1 == nil && e2 == nil && w > 0 && h > 0
}

func parseRate(s string) (format.Rational, bool) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return format.Rational{}, false
	}
	n, e1 := strconv.Atoi(a)
	d, e2 := strconv.Atoi(b)
	return format.Rational{Num: n, Den: d}, e1 == nil && e2 == nil && n >= 0 && d > 0
}

// parseCaps turns one EnumFormat param into caps: one per pixel format
// and size (or size range), with its frame rates.
func parseCaps(sub uint32, fmts, sizes, rates string, pf func(subtype, spa uint32) format.PixelFormat) []format.VideoCaps {
	var pfs []format.PixelFormat
	if _, vs := values(fmts); vs != nil {
		for _, v := range vs {
			if n, err := strconv.ParseUint(v, 10, 32); err == nil {
				if p := pf(sub, uint32(n)); p != 0 {
					pfs = append(pfs, p)
				}
			}
		}
	} else if p := pf(sub, 0); p != 0 { // compressed: no format property
		pfs = append(pfs, p)
	}
	var ranges []format.SizeRange
	switch k, vs := values(sizes); k {
	case 'n', 'e':
		for _, v := range vs {
			if w, h, ok := parseSize(v); ok {
				ranges = append(ranges, format.Discrete(w, h))
			}
		}
	case 'r', 's':
		if len(vs) >= 2 {
			w0, h0, ok0 := parseSize(vs[0])
			w1, h1, ok1 := parseSize(vs[1])
			sr := format.SizeRange{MinWidth: w0, MaxWidth: w1, StepWidth: 1, MinHeight: h0, MaxHeight: h1, StepHeight: 1}
			if k == 's' && len(vs) >= 3 {
				if sw, sh, ok := parseSize(vs[2]); ok {
					sr.StepWidth, sr.StepHeight = sw, sh
				}
			}
			if ok0 && ok1 && w0 <= w1 && h0 <= h1 {
				ranges = append(ranges, sr)
			}
		}
	}
	var c format.VideoCaps
	switch k, vs := values(rates); k {
	case 'n', 'e':
		for _, v := range vs {
			if r, ok := parseRate(v); ok && !r.IsZero() {
				c.FrameRates = append(c.FrameRates, r)
			}
		}
	case 'r', 's':
		if len(vs) >= 2 {
			r0, ok0 := parseRate(vs[0])
			r1, ok1 := parseRate(vs[1])
			if ok0 && ok1 && r0.Cmp(r1) <= 0 {
				c.MinRate, c.MaxRate = r0, r1
			}
		}
	}
	var out []format.VideoCaps
	for _, p := range pfs {
		for _, r := range ranges {
			cc := c
			cc.PixelFormat, cc.Size = p, r
			cc.FrameRates = slices.Clone(c.FrameRates)
			out = append(out, cc)
		}
	}
	return out
}

// Devices implements backend.Backend: the Video/Source nodes of the
// PipeWire socket (cameras: PipeWire's V4L2 and libcamera nodes, other
// applications' streams) as pipewire:camera/NAME, and the portal's screen
// (and window) source when a ScreenCast portal answers on the session bus.
// A cast's own node exists only once the portal started it, so it is not
// listed. A camera's formats are its node's EnumFormat params.
func (Backend) Devices(ctx context.Context) ([]backend.Device, error) {
	var out []backend.Device
	if cgoEnabled && socketExists() == nil {
		cams, _ := listCameras("")
		for i, c := range cams {
			name := c.description
			if name == "" {
				name = c.name
			}
			attrs := map[string]string{"node": strconv.FormatUint(uint64(c.id), 10), "node.name": c.name, "object.serial": c.serial}
			if c.path != "" {
				attrs["api.v4l2.path"] = c.path
			}
			out = append(out, backend.Device{ID: Name + ":camera/" + c.name, Name: name, Kind: backend.KindCamera, Backend: Name, Default: i == 0, Attrs: attrs, Video: c.caps})
		}
	}
	in, err := portalInfo(ctx)
	if err != nil {
		return out, nil
	}
	attrs := map[string]string{"portal.version": strconv.Itoa(int(in.Version)), "cursor_modes": strconv.Itoa(int(in.CursorModes))}
	if in.SourceTypes&portal.Monitor != 0 {
		out = append(out, backend.Device{ID: Name + ":screen", Name: "Screen (ScreenCast portal)", Kind: backend.KindDisplay, Backend: Name, Default: true, Attrs: attrs})
	}
	if in.SourceTypes&portal.Window != 0 {
		out = append(out, backend.Device{ID: Name + ":window", Name: "Window (ScreenCast portal)", Kind: backend.KindWindow, Backend: Name, Attrs: attrs})
	}
	return out, nil
}

// Changes implements backend.Notifier: a connection of its own to the
// default PipeWire socket listens to the registry, and a Video/Source node
// added, or one removed, is a notification. The channel closes when ctx is
// done or PipeWire goes away; no PipeWire socket (or no cgo) is an error
// matching backend.ErrNotFound. The portal's sources are not watched.
func (Backend) Changes(ctx context.Context) (<-chan struct{}, error) {
	if !cgoEnabled {
		return nil, fmt.Errorf("pipewire: built without cgo, nothing to watch: %w", backend.ErrNotFound)
	}
	if err := socketExists(); err != nil {
		return nil, err
	}
	return watchCameras(ctx, "")
}

// portalInfo asks the portal for its properties, once per call.
func portalInfo(ctx context.Context) (portal.Info, error) {
	return portal.Probe(ctx, "")
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
	if !cgoEnabled {
		return nil, fmt.Errorf("pipewire: this program was built without cgo, and the backend needs libpipewire-0.3 through cgo: %w", backend.ErrNotSupported)
	}
	obs := cfg.Observer
	if obs == nil {
		obs = backend.NopObserver{}
	}
	buffers := cfg.Buffers
	if buffers <= 0 {
		buffers = 6
	}
	cp := connectParams{remote: p.remote, video: cfg.Video, buffers: buffers, obs: obs, timeout: openTimeout}
	switch p.what {
	case "screen", "window":
		return openPortal(ctx, p, cfg, cp)
	case "camera":
		cp.name, cp.role, cp.kind, cp.mode = p.name, "Camera", backend.KindCamera, "pw_stream"
	case "node":
		cp.node, cp.role, cp.kind, cp.mode = p.node, "Production", backend.KindCamera, "pw_stream"
	}
	if cp.remote == "" {
		sockErr := socketExists()
		if p.portal == "1" || (p.portal == "" && sockErr != nil && p.what == "camera") {
			return openCameraPortal(ctx, p, cp, sockErr)
		}
		if sockErr != nil {
			return nil, sockErr
		}
	}
	s, err := openNode(ctx, cp)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// openCameraPortal opens a camera node through the Camera portal: access
// asked for (a dialog the user may answer, bounded by ctx only), then the
// node consumed on the PipeWire connection the portal hands over, which
// sees only camera nodes. sockErr is why the socket was not used, if it
// was not asked for.
func openCameraPortal(ctx context.Context, p addr, cp connectParams, sockErr error) (backend.Source, error) {
	fd, err := portal.OpenCamera(ctx, p.bus)
	if err != nil {
		if sockErr != nil && p.portal == "" {
			return nil, fmt.Errorf("%w; and the Camera portal: %w", sockErr, err)
		}
		return nil, fmt.Errorf("pipewire: %w", err)
	}
	cp.fd, cp.mode = fd, "camera portal+pw_stream"
	ns, err := openNode(ctx, cp)
	if err != nil {
		return nil, err
	}
	ns.info.Attrs = map[string]string{"portal": "camera"}
	return ns, nil
}

// socketExists reports ErrNotFound when the default PipeWire socket is not
// there, before libpipewire tries (and logs) a connection.
func socketExists() error {
	if os.Getenv("PIPEWIRE_REMOTE") != "" {
		return nil
	}
	dir := os.Getenv("PIPEWIRE_RUNTIME_DIR")
	if dir == "" {
		dir = os.Getenv("XDG_RUNTIME_DIR")
	}
	if dir == "" {
		return fmt.Errorf("pipewire: neither PIPEWIRE_RUNTIME_DIR nor XDG_RUNTIME_DIR is set: no PipeWire socket to connect to: %w", backend.ErrNotFound)
	}
	p := filepath.Join(dir, "pipewire-0")
	if st, err := os.Stat(p); err != nil || st.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("pipewire: no PipeWire running (%s is not a socket): %w", p, backend.ErrNotFound)
	}
	return nil
}

// connectParams are what openNode needs.
type connectParams struct {
	fd         *os.File // portal remote; nil: connect to remote
	remote     string
	node       uint32 // 0: by name
	name       string // node.name or object.serial
	video      format.Video
	buffers    int
	role       string
	kind       backend.Kind
	mode       string
	obs        backend.Observer
	timeout    time.Duration
	portalLost <-chan struct{}
}

// portalSource is a node stream whose node the portal made; closing it
// closes the portal session.
type portalSource struct {
	*nodeStream
	sess *portal.Session
	once sync.Once
}

func (s *portalSource) Close() error {
	err := s.nodeStream.Close()
	s.once.Do(func() { s.sess.Close() })
	return err
}

func openPortal(ctx context.Context, p addr, cfg backend.Config, cp connectParams) (backend.Source, error) {
	types := portal.Monitor
	kind := backend.KindDisplay
	if p.what == "window" {
		types, kind = portal.Window, backend.KindWindow
	}
	sess, err := portal.Start(ctx, portal.Options{Types: types, Cursor: cfg.Cursor, Persist: p.persist, RestoreToken: p.restore, Address: p.bus})
	if err != nil {
		return nil, fmt.Errorf("pipewire: screen cast portal: %w", err)
	}
	st := sess.Streams[0]
	if p.remote == "" {
		if cp.fd, err = sess.OpenPipeWireRemote(ctx); err != nil {
			sess.Close()
			return nil, fmt.Errorf("pipewire: %w", err)
		}
	}
	cp.node, cp.role, cp.kind, cp.portalLost = st.Node, "Screen", kind, sess.Closed()
	cp.mode = "portal+pw_stream"
	ns, err := openNode(ctx, cp)
	if err != nil {
		sess.Close()
		return nil, err
	}
	// Wake a waiting Read as soon as the portal ends the session; the
	// goroutine ends with the session, which Close closes.
	go func() { <-sess.Closed(); ns.notify() }()
	ns.info.Attrs = map[string]string{
		"node":          strconv.FormatUint(uint64(st.Node), 10),
		"restore_token": sess.RestoreToken,
		"cursor_mode":   strconv.Itoa(int(sess.CursorMode)),
		"position":      fmt.Sprintf("%d,%d", st.Position.X, st.Position.Y),
	}
	return &portalSource{nodeStream: ns, sess: sess}, nil
}
