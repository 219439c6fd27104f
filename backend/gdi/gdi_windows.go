package gdi

import (
	"context"
	"fmt"
	"image"
	"strconv"

	"golang.org/x/sys/windows"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
)

func init() { backend.Register(Backend{}) }

// Backend is the GDI screen backend.
type Backend struct{}

// Name implements backend.Backend.
func (Backend) Name() string { return Name }

// Kinds implements backend.Kinder: displays and windows.
func (Backend) Kinds() []backend.Kind { return []backend.Kind{backend.KindDisplay, backend.KindWindow} }

func caps(w, h int) []format.VideoCaps {
	return []format.VideoCaps{{
		PixelFormat: format.BGRX,
		Size:        format.SizeRange{MinWidth: 1, MaxWidth: w, StepWidth: 1, MinHeight: 1, MaxHeight: h, StepHeight: 1},
		MinRate:     format.Rational{Num: 1, Den: 1000},
		MaxRate:     format.FPS(1000),
	}}
}

func (r rect) image() image.Rectangle {
	return image.Rect(int(r.Left), int(r.Top), int(r.Right), int(r.Bottom))
}

// virtualScreen is the rectangle of every monitor together.
func virtualScreen() image.Rectangle {
	x, y := getSystemMetrics(smXVirtualScreen), getSystemMetrics(smYVirtualScreen)
	return image.Rect(x, y, x+getSystemMetrics(smCXVirtualScreen), y+getSystemMetrics(smCYVirtualScreen))
}

// Devices implements backend.Backend: the virtual screen (the default
// display), each monitor, and the visible titled top-level windows.
func (Backend) Devices(ctx context.Context) ([]backend.Device, error) {
	if err := load(); err != nil {
		return nil, err
	}
	vs := virtualScreen()
	if vs.Empty() {
		return nil, nil // no desktop (a service session)
	}
	out := []backend.Device{{
		ID: Name + ":", Name: "Screen", Kind: backend.KindDisplay, Backend: Name, Default: true,
		Bounds: vs, Video: caps(vs.Dx(), vs.Dy()),
	}}
	for i, m := range monitors() {
		r := m.r.image()
		out = append(out, backend.Device{
			ID: fmt.Sprintf("%s:display/%d", Name, i), Name: fmt.Sprintf("Display %d (%s)", i, m.name),
			Kind: backend.KindDisplay, Backend: Name, Bounds: r,
			Attrs: map[string]string{"monitor": m.name, "primary": strconv.FormatBool(m.primary)},
			Video: caps(r.Dx(), r.Dy()),
		})
	}
	for _, h := range topWindows() {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if !windows.IsWindowVisible(h) {
			continue
		}
		title := windowText(h)
		var wr rect
		if title == "" || !getWindowRect(h, &wr) || wr.image().Empty() {
			continue
		}
		r := wr.image()
		out = append(out, backend.Device{
			ID: fmt.Sprintf("%s:window/%#x", Name, uintptr(h)), Name: title, Kind: backend.KindWindow, Backend: Name,
			Bounds: r, Attrs: map[string]string{"window": fmt.Sprintf("%#x", uintptr(h)), "title": title},
			Video: caps(r.Dx(), r.Dy()),
		})
	}
	return out, nil
}
