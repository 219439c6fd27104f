//go:build linux

package portal

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/internal/testenv"
)

// fakePortal is a ScreenCast portal whose Start answers with code (or
// never, when code < 0): the user's refusal, or a dialog left open.
type fakePortal struct {
	conn *dbus.Conn
	code int
}

func (f *fakePortal) respond(sender dbus.Sender, opts map[string]dbus.Variant, code uint32, res map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	tok, _ := opts["handle_token"].Value().(string)
	path := dbus.ObjectPath(objectPath + "/request/" + strings.ReplaceAll(strings.TrimPrefix(string(sender), ":"), ".", "_") + "/" + tok)
	if res != nil {
		f.conn.Emit(path, ifaceRequest+".Response", code, res)
	}
	return path, nil
}

func (f *fakePortal) CreateSession(sender dbus.Sender, opts map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	return f.respond(sender, opts, 0, map[string]dbus.Variant{"session_handle": dbus.MakeVariant(objectPath + "/session/x")})
}

func (f *fakePortal) SelectSources(sender dbus.Sender, _ dbus.ObjectPath, opts map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	return f.respond(sender, opts, 0, map[string]dbus.Variant{})
}

func (f *fakePortal) Start(sender dbus.Sender, _ dbus.ObjectPath, _ string, opts map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	if f.code < 0 {
		return f.respond(sender, opts, 0, nil) // the dialog stays open
	}
	return f.respond(sender, opts, uint32(f.code), map[string]dbus.Variant{})
}

type fakeProps struct{}

func (fakeProps) Get(iface, name string) (dbus.Variant, *dbus.Error) {
	switch name {
	case "version":
		return dbus.MakeVariant(uint32(4)), nil
	case "AvailableSourceTypes":
		return dbus.MakeVariant(uint32(Monitor | Window)), nil
	default:
		return dbus.MakeVariant(uint32(CursorHidden | CursorEmbedded)), nil
	}
}

// startFake runs a private dbus-daemon with a fake portal on it and
// returns the bus address.
func startFake(t *testing.T, code int) string {
	t.Helper()
	bin := testenv.LookPath(t, "dbus-daemon")
	dir := t.TempDir()
	addr := "unix:path=" + filepath.Join(dir, "bus")
	cmd := exec.Command(bin, "--session", "--nofork", "--nopidfile", "--address="+addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var conn *dbus.Conn
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := dbus.Connect(addr)
		if err == nil {
			conn = c
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("private dbus-daemon: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() { conn.Close() })
	f := &fakePortal{conn: conn, code: code}
	if err := conn.Export(f, objectPath, ifaceCast); err != nil {
		t.Fatal(err)
	}
	if err := conn.Export(fakeProps{}, objectPath, "org.freedesktop.DBus.Properties"); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName(busName, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName: %v %v", r, err)
	}
	return addr
}

func TestUserRefuses(t *testing.T) {
	addr := startFake(t, 1)
	_, err := Start(context.Background(), Options{Address: addr})
	if !errors.Is(err, backend.ErrPermissionDenied) {
		t.Fatalf("Start refused by the user: %v, want ErrPermissionDenied", err)
	}
}

func TestPortalError(t *testing.T) {
	addr := startFake(t, 2)
	_, err := Start(context.Background(), Options{Address: addr})
	if err == nil || errors.Is(err, backend.ErrPermissionDenied) || !strings.Contains(err.Error(), "response 2") {
		t.Fatalf("Start ended by the portal: %v, want a response 2 error", err)
	}
}

// A dialog left open: Start waits until its context is done.
func TestDialogHonoursContext(t *testing.T) {
	addr := startFake(t, -1)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := Start(ctx, Options{Address: addr})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start with an open dialog: %v, want DeadlineExceeded", err)
	}
	if d := time.Since(t0); d < 250*time.Millisecond || d > 2*time.Second {
		t.Errorf("Start returned after %v, want at its 300 ms deadline", d)
	}
}
