//go:build cgo

package mediadevices

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wineSize is the size of the desktop scripts/test.d/wine.sh gives Wine.
func wineSize(t *testing.T) (w, h int) {
	t.Helper()
	if _, err := fmt.Sscanf(os.Getenv("MINIAV_WINE_SIZE"), "%dx%d", &w, &h); err != nil {
		testenv.Missing(t, "no Wine desktop of known size (MINIAV_WINE_SIZE; scripts/test.d/wine.sh)")
	}
	return w, h
}

// pion's Windows drivers under Wine: its GDI screen driver lists display 0
// at the desktop's size and captures it; DirectShow finds no camera (Wine
// has no capture devices, so only enumeration can be checked); unknown IDs
// are ErrNotFound.
func TestWindowsDrivers(t *testing.T) {
	w, h := wineSize(t)
	devs, err := registered.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var screen *backend.Device
	for i, d := range devs {
		t.Logf("%s %q %v default=%v", d.ID, d.Name, d.Kind, d.Default)
		switch d.Kind {
		case backend.KindCamera:
			t.Errorf("camera %s under Wine, which has no capture devices", d.ID)
		case backend.KindDisplay:
			if screen == nil {
				screen = &devs[i]
			}
		}
	}
	if screen == nil {
		t.Fatalf("no display among %+v", devs)
	}
	s, err := miniav.Open(context.Background(), screen.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v := s.Info().Video
	if v.Width != w || v.Height != h || v.PixelFormat != format.RGBA {
		t.Fatalf("display %s: %v, want %dx%d RGBA", screen.ID, v, w, h)
	}
	for n := 0; n < 3; n++ {
		f, err := s.Next()
		if err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		fv := f.Video()
		if len(fv.Plane(0)) != w*h*4 || fv.Stride(0) != w*4 {
			t.Fatalf("frame %d: plane of %d bytes, stride %d; want %d, %d", n, len(fv.Plane(0)), fv.Stride(0), w*h*4, w*4)
		}
		f.Release()
	}
	for _, id := range []string{Scheme + ":no-such-camera", screen.ID + "x"} {
		if s, err := miniav.Open(context.Background(), id); !errors.Is(err, miniav.ErrNotFound) {
			if err == nil {
				s.Close()
			}
			t.Errorf("Open(%q): %v, want ErrNotFound", id, err)
		}
	}
}
