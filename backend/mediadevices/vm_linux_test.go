//go:build cgo

package mediadevices

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/backendtest"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/vmtest"
)

// pion's Linux camera driver (blackjack/webcam) against the kernel's vivid
// driver, in the VM (scripts/test.d/v4l2.sh).

// vividCam is pion's label of vivid's single-planar capture node (no udev
// in the VM, so no by-id links: the node's name twice).
const vividCam = Scheme + ":video0;video0"

func TestVMDevices(t *testing.T) {
	vmtest.Require(t)
	d := device(t, vividCam)
	if d.Kind != backend.KindCamera || !d.Default || !strings.HasPrefix(d.Name, "vivid") {
		t.Errorf("device %+v", d)
	}
	for _, pf := range []format.PixelFormat{format.I422, format.I420} {
		if !slices.ContainsFunc(d.Video, func(c format.VideoCaps) bool {
			return c.Supports(format.Video{Width: 320, Height: 180, PixelFormat: pf})
		}) {
			t.Errorf("no %v 320x180 in %v", pf, d.Video)
		}
	}
}

// vivid's colour bars arrive through pion in each layout it decodes.
func TestVMCapturePattern(t *testing.T) {
	vmtest.Require(t)
	vmtest.SetCtrl(t, vmtest.SinglePlanarNode, vmtest.CtrlOSDMode, 2)
	vmtest.SetCtrl(t, vmtest.SinglePlanarNode, vmtest.CtrlTestPattern, 0)
	t.Cleanup(func() { vmtest.SetCtrl(t, vmtest.SinglePlanarNode, vmtest.CtrlOSDMode, 0) })
	for _, want := range []format.PixelFormat{format.I422, format.I420} {
		t.Run(want.String(), func(t *testing.T) {
			s := open(t, vividCam, miniav.WithVideo(format.Video{Width: 320, Height: 180, PixelFormat: want}))
			if v := s.Info().Video; v.Width != 320 || v.Height != 180 || v.PixelFormat != want || v.FrameRate.IsZero() {
				t.Fatalf("Info().Video = %v", v)
			}
			for n := range 3 {
				f := next(t, s)
				v := f.Video()
				if v.PixelFormat != want || v.Width != 320 || v.Height != 180 || f.Sequence() != uint64(n) {
					t.Fatalf("frame %d: %v seq %d", n, v.Video, f.Sequence())
				}
				if vmtest.CheckBars(t, v) > 0 {
					t.Fatalf("frame %d: not vivid's colour bars", n)
				}
				f.Release()
			}
		})
	}
}

// Unplugging the camera ends the stream with ErrDeviceLost; once every fd
// is closed vivid comes back and opens again.
func TestVMDisconnect(t *testing.T) {
	vmtest.Require(t)
	s := open(t, vividCam, miniav.WithVideo(format.Video{Width: 320, Height: 180, PixelFormat: format.I422}))
	next(t, s).Release()
	vmtest.SetCtrl(t, vmtest.SinglePlanarNode, vmtest.CtrlDisconnect, 1)
	for f := range s.Frames() {
		f.Release()
	}
	if err := s.Err(); !errors.Is(err, miniav.ErrDeviceLost) {
		t.Fatalf("Err = %v, want ErrDeviceLost", err)
	}
	t.Log(s.Err())
	s.Close()
	s = open(t, vividCam, miniav.WithVideo(format.Video{Width: 320, Height: 180, PixelFormat: format.I422}))
	next(t, s).Release()
}

// Rescan finds vivid's nodes again; a camera streaming through it keeps
// working and stays busy.
func TestVMRescan(t *testing.T) {
	vmtest.Require(t)
	s := open(t, vividCam)
	if err := Rescan(); err != nil {
		t.Fatal(err)
	}
	if _, err := miniav.Open(context.Background(), vividCam); !errors.Is(err, miniav.ErrBusy) {
		t.Errorf("open while streaming, after Rescan: %v", err)
	}
	devs, err := registered.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(devs))
	for i, d := range devs {
		ids[i] = d.ID
	}
	if !slices.Contains(ids, vividCam) || !slices.Contains(ids, Scheme+":video1;video1") {
		t.Errorf("after Rescan: %v", ids)
	}
	for range 3 {
		next(t, s).Release()
	}
}

// vivid through pion's webcam driver passes the backend contract kit.
// pion's webcam driver allocates a few times per frame, 4 to 6 measured
// (the backend adds nothing: TestContract's still driver), so the bound
// here only catches allocations growing with the frame count.
func TestVMContract(t *testing.T) {
	vmtest.Require(t)
	backendtest.Run(t, vividCam, backendtest.WithConfig(backend.Config{Video: format.Video{Width: 320, Height: 180, PixelFormat: format.I422}}),
		backendtest.NoDeviceTimestamps(), backendtest.CannotBlock(), backendtest.Frames(4), backendtest.AllowAllocs(10), backendtest.FrameTimeout(10*time.Second))
}
