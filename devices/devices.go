// Package devices enumerates capture devices across every registered
// backend: cameras, displays, windows, microphones and loopback sources,
// each with its ID, name, kind and formats. A Watcher reports devices that
// appear and disappear (hot-plug).
//
// Backends register when their packages are imported; the synthetic
// source "testsrc" is always there once package miniav is imported.
package devices

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/miniav-go/miniav/backend"
)

// Device describes one device (see backend.Device).
type Device = backend.Device

// Kind is what a device captures (see backend.Kind).
type Kind = backend.Kind

// Device kinds.
const (
	Camera     = backend.KindCamera
	Display    = backend.KindDisplay
	Window     = backend.KindWindow
	Microphone = backend.KindMicrophone
	Loopback   = backend.KindLoopback
)

// List returns the devices of every registered backend, or of the given
// kinds only, ordered by backend name then as each backend lists them. A
// backend that fails to enumerate does not hide the others: List returns
// what it found together with the joined errors.
func List(ctx context.Context, kinds ...Kind) ([]Device, error) {
	var out []Device
	var errs []error
	err := each(ctx, kinds, func(b backend.Backend, ds []Device, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("backend %s: %w", b.Name(), err))
		}
		out = append(out, ds...)
	})
	if err != nil {
		return out, err
	}
	return out, errors.Join(errs...)
}

// each enumerates the backends that may offer kinds, in name order, and
// calls fn with each one's devices of those kinds and its error. It stops
// with ctx's error when ctx is done.
func each(ctx context.Context, kinds []Kind, fn func(b backend.Backend, ds []Device, err error)) error {
	for _, b := range backend.All() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !offersAny(b, kinds) {
			continue // e.g. no audio server is asked when listing cameras
		}
		ds, err := b.Devices(ctx)
		kept := ds[:0]
		for _, d := range ds {
			if len(kinds) == 0 || slices.Contains(kinds, d.Kind) {
				if d.Backend == "" {
					d.Backend = b.Name()
				}
				kept = append(kept, d)
			}
		}
		fn(b, kept, err)
	}
	return nil
}

// Lookup returns the device with the given ID (any "?param" suffix is
// ignored for the match). It fails with an error matching
// backend.ErrNotFound (miniav.ErrNotFound) when there is none.
func Lookup(ctx context.Context, id string) (Device, error) {
	b, _, err := backend.Resolve(id)
	if err != nil {
		return Device{}, err
	}
	want := id
	for i := range len(id) {
		if id[i] == '?' {
			want = id[:i]
			break
		}
	}
	ds, err := b.Devices(ctx)
	for _, d := range ds {
		if d.ID == want {
			return d, nil
		}
	}
	if err != nil {
		return Device{}, fmt.Errorf("device %q: %w", id, err)
	}
	return Device{}, fmt.Errorf("device %q: %w", id, backend.ErrNotFound)
}

// Default returns the device of kind k a program should use when the user
// named none: a real device the system marks as default, else the first
// real device, else the synthetic test source.
func Default(ctx context.Context, k Kind) (Device, error) {
	ds, _ := List(ctx, k)
	var first, synthetic *Device
	for i := range ds {
		d := &ds[i]
		switch {
		case d.Backend == "testsrc":
			if synthetic == nil {
				synthetic = d
			}
		case d.Default:
			return *d, nil
		case first == nil:
			first = d
		}
	}
	if first != nil {
		return *first, nil
	}
	if synthetic != nil {
		return *synthetic, nil
	}
	return Device{}, fmt.Errorf("no %v device: %w", k, backend.ErrNotFound)
}
