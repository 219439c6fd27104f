//go:build linux

package portal

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/godbus/dbus/v5"

	"github.com/miniav-go/miniav/backend"
)

const ifaceCamera = "org.freedesktop.portal.Camera"

// CameraPresent reports whether the Camera portal on the session bus at
// address (see Options.Address) sees a camera: a PipeWire node whose
// media.role is Camera (xdg-desktop-portal 1.16 counts only the nodes
// that existed when it started). A bus without the portal (it needs a backend with
// the Access interface, such as xdg-desktop-portal-gtk or -gnome) is an
// error matching backend.ErrNotFound.
func CameraPresent(ctx context.Context, address string) (bool, error) {
	addr, err := Address(address)
	if err != nil {
		return false, err
	}
	conn, err := connect(ctx, addr)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	return cameraPresent(ctx, conn)
}

func cameraPresent(ctx context.Context, conn *dbus.Conn) (bool, error) {
	v, err := property(ctx, conn, ifaceCamera, "Camera", "IsCameraPresent")
	if err != nil {
		return false, err
	}
	b, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("portal: IsCameraPresent is %T, not bool", v.Value())
	}
	return b, nil
}

// OpenCamera asks the Camera portal for access to the cameras
// (AccessCamera, which may show the user a dialog: it honours ctx while
// it waits) and returns a PipeWire connection that sees only the camera
// nodes (OpenPipeWireRemote). The caller owns the file. A refusal, by the
// user now or as remembered in the portal's permission store, matches
// backend.ErrPermissionDenied; no portal matches backend.ErrNotFound.
func OpenCamera(ctx context.Context, address string) (_ *os.File, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	addr, err := Address(address)
	if err != nil {
		return nil, err
	}
	s, err := dial(ctx, addr, ifaceCamera)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	// IsCameraPresent is read for the portal's presence only: the
	// xdg-desktop-portal 1.16 of Debian 12 reads PipeWire's registry
	// when it starts and never again, so a camera plugged in later is
	// not "present" though access to it works.
	if _, err := cameraPresent(ctx, s.conn); err != nil {
		return nil, err
	}
	if _, err := s.request(ctx, "AccessCamera", s.token(), nil, nil); err != nil {
		// The portal answers a refusal it remembers with response 2,
		// "the interaction was ended some other way".
		var re *responseError
		if errors.As(err, &re) && re.code == 2 {
			return nil, fmt.Errorf("portal: AccessCamera: access to the camera refused (response %d): %w", re.code, backend.ErrPermissionDenied)
		}
		return nil, err
	}
	var fd dbus.UnixFD
	if err := s.conn.Object(busName, objectPath).CallWithContext(ctx, ifaceCamera+".OpenPipeWireRemote", 0, map[string]dbus.Variant{}).Store(&fd); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var de dbus.Error
		if errors.As(err, &de) && de.Name == "org.freedesktop.portal.Error.NotAllowed" {
			return nil, fmt.Errorf("portal: Camera.OpenPipeWireRemote: %v: %w", err, backend.ErrPermissionDenied)
		}
		return nil, fmt.Errorf("portal: Camera.OpenPipeWireRemote: %w", err)
	}
	return os.NewFile(uintptr(fd), "pipewire-camera-remote"), nil
}
