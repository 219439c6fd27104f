//go:build linux

package portal

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/godbus/dbus/v5"

	"github.com/miniav-go/miniav/backend"
)

const (
	busName      = "org.freedesktop.portal.Desktop"
	objectPath   = "/org/freedesktop/portal/desktop"
	ifaceCast    = "org.freedesktop.portal.ScreenCast"
	ifaceRequest = "org.freedesktop.portal.Request"
	ifaceSession = "org.freedesktop.portal.Session"
)

// SourceType is a kind of thing to cast (a bit set, as the portal has it).
type SourceType uint32

// Source types.
const (
	Monitor SourceType = 1
	Window  SourceType = 2
	Virtual SourceType = 4
)

func (t SourceType) String() string {
	var s []string
	for _, x := range []struct {
		t SourceType
		n string
	}{{Monitor, "monitor"}, {Window, "window"}, {Virtual, "virtual"}} {
		if t&x.t != 0 {
			s = append(s, x.n)
		}
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, "|")
}

// CursorMode is how the pointer appears in the cast (a bit set).
type CursorMode uint32

// Cursor modes.
const (
	CursorHidden   CursorMode = 1
	CursorEmbedded CursorMode = 2
	CursorMetadata CursorMode = 4
)

// Persist modes: how long the portal remembers the user's choice.
const (
	PersistNone        = 0 // ask every time
	PersistApplication = 1 // while the application runs
	PersistRevoked     = 2 // until the user revokes it
)

// Options is what to ask the portal for.
type Options struct {
	// Types are the source types the user may pick from (0: Monitor).
	Types SourceType
	// Cursor asks for the pointer drawn into the frames (embedded); false
	// asks for it hidden. A portal offering neither gets no cursor_mode.
	Cursor bool
	// Persist is the persist_mode (PersistNone, PersistApplication,
	// PersistRevoked); it needs portal version 4 and is ignored below.
	Persist uint32
	// RestoreToken is a token a previous Start returned: the portal then
	// restores that choice without asking (version 4).
	RestoreToken string
	// Address is the session bus address (default: DBUS_SESSION_BUS_ADDRESS,
	// else $XDG_RUNTIME_DIR/bus).
	Address string
}

// Stream is one PipeWire node the portal made for the cast.
type Stream struct {
	Node       uint32
	Position   image.Point
	Size       image.Point
	SourceType SourceType
}

// Info is what the portal says about itself.
type Info struct {
	Version     uint32
	SourceTypes SourceType
	CursorModes CursorMode
}

// Session is a started screen cast.
type Session struct {
	Info    Info
	Streams []Stream
	// RestoreToken is the token Start returned (empty when the portal
	// gave none): pass it as Options.RestoreToken to skip the dialog.
	RestoreToken string
	// CursorMode is the cursor mode asked for (0: none asked).
	CursorMode CursorMode

	conn    *dbus.Conn
	iface   string // the portal interface request calls
	handle  dbus.ObjectPath
	sigs    chan *dbus.Signal
	closed  chan struct{} // closed on Session.Closed or Close
	once    sync.Once
	stopped chan struct{} // the signal goroutine is gone
	counter atomic.Uint64
	sender  string
}

// Address returns the session bus address to use.
func Address(explicit string) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return a, nil
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		if st, err := os.Stat(rt + "/bus"); err == nil && st.Mode()&os.ModeSocket != 0 {
			return "unix:path=" + rt + "/bus", nil
		}
	}
	return "", fmt.Errorf("portal: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset and $XDG_RUNTIME_DIR/bus does not exist): %w", backend.ErrNotFound)
}

// Start connects to the session bus and runs CreateSession, SelectSources
// and Start. It honours ctx while the portal (or the user) answers: once
// ctx is done the pending Request is closed and ctx's error returned. A
// refusal by the user matches backend.ErrPermissionDenied; a portal that
// is not there matches backend.ErrNotFound; a source type or cursor mode
// the portal does not offer matches backend.ErrNotSupported.
func Start(ctx context.Context, o Options) (_ *Session, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	addr, err := Address(o.Address)
	if err != nil {
		return nil, err
	}
	s, err := dial(ctx, addr, ifaceCast)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.Info, err = s.info(ctx); err != nil {
		return nil, err
	}
	types := o.Types
	if types == 0 {
		types = Monitor
	}
	if types&s.Info.SourceTypes == 0 {
		return nil, fmt.Errorf("portal: source type %v not offered (the portal offers %v): %w", types, s.Info.SourceTypes, backend.ErrNotSupported)
	}
	types &= s.Info.SourceTypes

	// CreateSession
	tok := s.token()
	res, err := s.request(ctx, "CreateSession", tok, nil, map[string]dbus.Variant{
		"session_handle_token": dbus.MakeVariant("miniav_s" + tok),
	})
	if err != nil {
		return nil, err
	}
	h, ok := res["session_handle"]
	if !ok {
		return nil, fmt.Errorf("portal: CreateSession returned no session_handle")
	}
	switch v := h.Value().(type) {
	case string:
		s.handle = dbus.ObjectPath(v)
	case dbus.ObjectPath:
		s.handle = v
	default:
		return nil, fmt.Errorf("portal: CreateSession: session_handle is %T", v)
	}
	if err := s.conn.AddMatchSignalContext(ctx, dbus.WithMatchObjectPath(s.handle), dbus.WithMatchInterface(ifaceSession), dbus.WithMatchMember("Closed")); err != nil {
		return nil, fmt.Errorf("portal: subscribe to Session.Closed: %w", err)
	}

	// SelectSources
	opts := map[string]dbus.Variant{
		"types":    dbus.MakeVariant(uint32(types)),
		"multiple": dbus.MakeVariant(false),
	}
	if m := pickCursor(o.Cursor, s.Info.CursorModes); m != 0 {
		opts["cursor_mode"] = dbus.MakeVariant(uint32(m))
		s.CursorMode = m
	} else if o.Cursor {
		return nil, fmt.Errorf("portal: the cursor was asked for, but the portal offers no embedded cursor (modes %#x): %w", s.Info.CursorModes, backend.ErrNotSupported)
	}
	if s.Info.Version >= 4 {
		if o.Persist != PersistNone {
			opts["persist_mode"] = dbus.MakeVariant(o.Persist)
		}
		if o.RestoreToken != "" {
			opts["restore_token"] = dbus.MakeVariant(o.RestoreToken)
		}
	}
	if _, err := s.request(ctx, "SelectSources", s.token(), []any{s.handle}, opts); err != nil {
		return nil, err
	}

	// Start
	res, err = s.request(ctx, "Start", s.token(), []any{s.handle, ""}, nil)
	if err != nil {
		return nil, err
	}
	if v, ok := res["restore_token"]; ok {
		s.RestoreToken, _ = v.Value().(string)
	}
	if s.Streams, err = parseStreams(res["streams"]); err != nil {
		return nil, err
	}
	if len(s.Streams) == 0 {
		return nil, fmt.Errorf("portal: Start returned no stream: %w", backend.ErrNotFound)
	}
	return s, nil
}

// connect connects to the session bus at addr; ctx bounds the handshake
// only, not the connection.
func connect(ctx context.Context, addr string) (*dbus.Conn, error) {
	conn, err := dbus.Connect(addr, dbus.WithContext(context.WithoutCancel(ctx)))
	if err != nil {
		return nil, fmt.Errorf("portal: connect to the session bus %s: %v: %w", addr, err, backend.ErrNotFound)
	}
	return conn, nil
}

// property reads the portal's property name of interface iface (called
// portal in errors). A bus without that portal is an error matching
// backend.ErrNotFound.
func property(ctx context.Context, conn *dbus.Conn, iface, portal, name string) (dbus.Variant, error) {
	var v dbus.Variant
	err := conn.Object(busName, objectPath).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, iface, name).Store(&v)
	if err != nil {
		if ctx.Err() != nil {
			return v, ctx.Err()
		}
		var de dbus.Error
		if errors.As(err, &de) && (de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || de.Name == "org.freedesktop.DBus.Error.UnknownInterface" || de.Name == "org.freedesktop.DBus.Error.InvalidArgs") {
			return v, fmt.Errorf("portal: no %s portal on the session bus (%s): %w", portal, de.Name, backend.ErrNotFound)
		}
		return v, fmt.Errorf("portal: get %s: %w", name, err)
	}
	return v, nil
}

// dial connects to the session bus at addr for calls on the portal's
// interface iface, routes the portal's Response and Closed signals, and
// watches the portal's name (its process dying closes the session).
func dial(ctx context.Context, addr, iface string) (_ *Session, err error) {
	conn, err := connect(ctx, addr)
	if err != nil {
		return nil, err
	}
	s := &Session{conn: conn, iface: iface, sigs: make(chan *dbus.Signal, 16), closed: make(chan struct{}), stopped: make(chan struct{})}
	conn.Signal(s.sigs)
	go s.watch()
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	names := conn.Names()
	if len(names) == 0 {
		return nil, fmt.Errorf("portal: the bus gave no unique name")
	}
	s.sender = strings.ReplaceAll(strings.TrimPrefix(names[0], ":"), ".", "_")
	if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchSender("org.freedesktop.DBus"), dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, busName)); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("portal: subscribe to NameOwnerChanged: %w", err)
	}
	return s, nil
}

// pickCursor chooses the cursor mode for want among the offered modes.
func pickCursor(want bool, offered CursorMode) CursorMode {
	if want {
		if offered&CursorEmbedded != 0 {
			return CursorEmbedded
		}
		return 0
	}
	if offered&CursorHidden != 0 {
		return CursorHidden
	}
	return 0
}

// info reads the portal's properties.
func (s *Session) info(ctx context.Context) (Info, error) {
	get := func(name string) (uint32, error) {
		v, err := property(ctx, s.conn, ifaceCast, "ScreenCast", name)
		if err != nil {
			return 0, err
		}
		u, ok := v.Value().(uint32)
		if !ok {
			return 0, fmt.Errorf("portal: %s is %T, not uint32", name, v.Value())
		}
		return u, nil
	}
	var in Info
	var err error
	if in.Version, err = get("version"); err != nil {
		return in, err
	}
	st, err := get("AvailableSourceTypes")
	if err != nil {
		return in, err
	}
	cm, err := get("AvailableCursorModes")
	if err != nil {
		return in, err
	}
	in.SourceTypes, in.CursorModes = SourceType(st), CursorMode(cm)
	return in, nil
}

func (s *Session) token() string {
	return "miniav" + strconv.Itoa(os.Getpid()) + "_" + strconv.FormatUint(s.counter.Add(1), 10)
}

// pending holds the Response waiters by request path.
var pending sync.Map // dbus.ObjectPath -> chan *dbus.Signal

// request calls method with args and options (plus handle_token) and
// waits for its Response.
func (s *Session) request(ctx context.Context, method, tok string, args []any, opts map[string]dbus.Variant) (map[string]dbus.Variant, error) {
	path := dbus.ObjectPath(objectPath + "/request/" + s.sender + "/" + tok)
	match := []dbus.MatchOption{dbus.WithMatchObjectPath(path), dbus.WithMatchInterface(ifaceRequest), dbus.WithMatchMember("Response")}
	if err := s.conn.AddMatchSignalContext(ctx, match...); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("portal: %s: subscribe to its Response: %w", method, err)
	}
	defer s.conn.RemoveMatchSignal(match...)
	ch := make(chan *dbus.Signal, 1)
	pending.Store(path, ch)
	defer pending.Delete(path)

	if opts == nil {
		opts = map[string]dbus.Variant{}
	}
	opts["handle_token"] = dbus.MakeVariant(tok)
	var handle dbus.ObjectPath
	call := s.conn.Object(busName, objectPath).CallWithContext(ctx, s.iface+"."+method, 0, append(args, opts)...)
	if err := call.Store(&handle); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var de dbus.Error
		if errors.As(err, &de) {
			switch de.Name {
			case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.UnknownMethod":
				return nil, fmt.Errorf("portal: %s: %v: %w", method, err, backend.ErrNotFound)
			case "org.freedesktop.portal.Error.NotAllowed":
				return nil, fmt.Errorf("portal: %s: %v: %w", method, err, backend.ErrPermissionDenied)
			case "org.freedesktop.portal.Error.InvalidArgument":
				return nil, fmt.Errorf("portal: %s: %v: %w", method, err, backend.ErrNotSupported)
			}
		}
		return nil, fmt.Errorf("portal: %s: %w", method, err)
	}
	if handle != path {
		// An old portal that ignores handle_token: wait on the path it gave.
		s.conn.AddMatchSignal(dbus.WithMatchObjectPath(handle), dbus.WithMatchInterface(ifaceRequest), dbus.WithMatchMember("Response"))
		pending.Store(handle, ch)
		defer pending.Delete(handle)
	}
	select {
	case sig := <-ch:
		if len(sig.Body) < 2 {
			return nil, fmt.Errorf("portal: %s: malformed Response %v", method, sig.Body)
		}
		code, _ := sig.Body[0].(uint32)
		res, _ := sig.Body[1].(map[string]dbus.Variant)
		switch code {
		case 0:
			return res, nil
		case 1:
			return nil, fmt.Errorf("portal: %s: the user cancelled the request: %w", method, backend.ErrPermissionDenied)
		default:
			return nil, &responseError{method, code}
		}
	case <-ctx.Done():
		// Dismiss the dialog; best effort, the bus may be gone.
		s.conn.Object(busName, handle).Call(ifaceRequest+".Close", dbus.FlagNoReplyExpected)
		return nil, ctx.Err()
	case <-s.closed:
		return nil, fmt.Errorf("portal: %s: the session was closed: %w", method, backend.ErrDeviceLost)
	}
}

// responseError is a Response other than success or the user's
// cancellation: the request "ended some other way".
type responseError struct {
	method string
	code   uint32
}

func (e *responseError) Error() string {
	return fmt.Sprintf("portal: %s: the portal ended the request (response %d)", e.method, e.code)
}

// watch routes Response signals to their waiters and notices
// Session.Closed; it ends when the connection is closed.
func (s *Session) watch() {
	defer close(s.stopped)
	for sig := range s.sigs {
		switch sig.Name {
		case ifaceRequest + ".Response":
			if ch, ok := pending.Load(sig.Path); ok {
				select {
				case ch.(chan *dbus.Signal) <- sig:
				default:
				}
			}
		case ifaceSession + ".Closed":
			if sig.Path == s.handle {
				s.once.Do(func() { close(s.closed) })
			}
		case "org.freedesktop.DBus.NameOwnerChanged":
			if len(sig.Body) == 3 && sig.Body[0] == busName && sig.Body[2] == "" {
				s.once.Do(func() { close(s.closed) })
			}
		}
	}
}

func parseStreams(v dbus.Variant) ([]Stream, error) {
	if v.Signature().String() == "" {
		return nil, nil
	}
	raw, ok := v.Value().([][]any)
	if !ok {
		return nil, fmt.Errorf("portal: streams has signature %s, want a(ua{sv})", v.Signature())
	}
	var out []Stream
	for _, r := range raw {
		if len(r) != 2 {
			continue
		}
		id, ok := r[0].(uint32)
		if !ok {
			continue
		}
		st := Stream{Node: id}
		props, _ := r[1].(map[string]dbus.Variant)
		st.Position = point(props["position"])
		st.Size = point(props["size"])
		if t, ok := props["source_type"].Value().(uint32); ok {
			st.SourceType = SourceType(t)
		}
		out = append(out, st)
	}
	return out, nil
}

func point(v dbus.Variant) image.Point {
	if a, ok := v.Value().([]any); ok && len(a) == 2 {
		x, _ := a[0].(int32)
		y, _ := a[1].(int32)
		return image.Pt(int(x), int(y))
	}
	return image.Point{}
}

// Closed is closed when the portal closes the session (the compositor or
// the portal ended the cast) or after Close.
func (s *Session) Closed() <-chan struct{} { return s.closed }

// OpenPipeWireRemote returns a connection to PipeWire that sees only the
// session's nodes. The caller owns the file.
func (s *Session) OpenPipeWireRemote(ctx context.Context) (*os.File, error) {
	var fd dbus.UnixFD
	err := s.conn.Object(busName, objectPath).CallWithContext(ctx, ifaceCast+".OpenPipeWireRemote", 0, s.handle, map[string]dbus.Variant{}).Store(&fd)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("portal: OpenPipeWireRemote: %w", err)
	}
	return os.NewFile(uintptr(fd), "pipewire-remote"), nil
}

// Close closes the portal session (which ends the cast) and the bus
// connection. It may be called more than once.
func (s *Session) Close() error {
	if s.handle != "" {
		select {
		case <-s.closed:
		default:
			s.conn.Object(busName, s.handle).Call(ifaceSession+".Close", dbus.FlagNoReplyExpected)
		}
	}
	s.once.Do(func() { close(s.closed) })
	err := s.conn.Close()
	<-s.stopped
	return err
}

// Probe connects to the session bus at address (see Options.Address) and
// reads the ScreenCast portal's properties, without starting anything.
func Probe(ctx context.Context, address string) (Info, error) {
	addr, err := Address(address)
	if err != nil {
		return Info{}, err
	}
	conn, err := connect(ctx, addr)
	if err != nil {
		return Info{}, err
	}
	defer conn.Close()
	s := &Session{conn: conn}
	return s.info(ctx)
}
