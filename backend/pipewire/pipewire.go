//go:build linux

package pipewire

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
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
}

func parseAddr(a string) (addr, error) {
	path, query, _ := strings.Cut(a, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return addr{}, fmt.Errorf("pipewire: bad parameters %q: %v: %w", query, err, backend.ErrNotFound)
	}
	p := addr{restore: q.Get("restore"), remote: q.Get("remote"), bus: q.Get("bus"), persist: portal.PersistRevoked}
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
}

// parseCameras reads mpw_list's lines: id, name, description, serial and
// V4L2 path, tab-separated.
func parseCameras(text string) []cameraNode {
	var out []cameraNode
	for _, line := range strings.Split(text, "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			continue
		}
		id, err := strconv.ParseUint(f[0], 10, 32)
		if err != nil || f[1] == "" {
			continue
		}
		out = append(out, cameraNode{id: uint32(id), name: f[1], description: f[2], serial: f[3], path: f[4]})
	}
	return out
}

// Devices implements backend.Backend: the Video/Source nodes of the
// PipeWire socket (cameras: PipeWire's V4L2 and libcamera nodes, other
// applications' streams) as pipewire:camera/NAME, and the portal's screen
// (and window) source when a ScreenCast portal answers on the session bus.
// A cast's own node exists only once the portal started it, so it is not
// listed. Formats are not listed (they are negotiated at Open).
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
			out = append(out, backend.Device{ID: Name + ":camera/" + c.name, Name: name, Kind: backend.KindCamera, Backend: Name, Default: i == 0, Attrs: attrs})
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
		if err := socketExists(); err != nil {
			return nil, err
		}
	}
	s, err := openNode(ctx, cp)
	if err != nil {
		return nil, err
	}
	return s, nil
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
