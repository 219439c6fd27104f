// Package cabitest is a test-only backend, "cabitest", for the tests of
// miniav's C interfaces (cabi and cabi/miniavc build their libraries with
// -tags miniav_cabitest, which registers it): devices the C and Python
// clients plug and unplug by rewriting a file, to test hot-plug through the
// real library.
//
// $MINIAV_CABITEST_DEVICES names the file. Each line is a device,
// "<kind> <addr> [name]" ("camera cam1 Hot-plug camera" is the camera
// "cabitest:cam1"), or "!<message>": enumeration then fails with that
// message. Writers replace the file atomically (write and rename).
//
// The backend is a backend.Notifier: it reads the file every 10 ms and
// notifies when its content changes, as a real backend's system
// notification would, so watches without polling see its changes too.
package cabitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/miniav-go/miniav/backend"
)

// Backend is the backend; register it with backend.Register(Backend{}).
type Backend struct{}

// EnvVar names the file of devices.
const EnvVar = "MINIAV_CABITEST_DEVICES"

func (Backend) Name() string { return "cabitest" }

func (Backend) read() ([]byte, error) {
	path := os.Getenv(EnvVar)
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

func (c Backend) Devices(context.Context) ([]backend.Device, error) {
	b, err := c.read()
	if err != nil {
		return nil, err
	}
	var ds []backend.Device
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if msg, ok := strings.CutPrefix(line, "!"); ok {
			return nil, errors.New(msg)
		}
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(line, "#") {
			continue
		}
		k := backend.KindCamera
		for ; k <= backend.KindLoopback && k.String() != f[0]; k++ {
		}
		if k > backend.KindLoopback {
			return nil, fmt.Errorf("cabitest: %s: kind %q", os.Getenv(EnvVar), f[0])
		}
		name := strings.Join(f[2:], " ")
		if name == "" {
			name = f[1]
		}
		ds = append(ds, backend.Device{ID: "cabitest:" + f[1], Name: name, Kind: k, Backend: "cabitest",
			Attrs: map[string]string{"test": "hot-plug"}})
	}
	return ds, nil
}

func (Backend) Open(_ context.Context, addr string, _ backend.Config) (backend.Source, error) {
	return nil, fmt.Errorf("cabitest:%s: hot-plug test devices cannot be opened: %w", addr, backend.ErrNotSupported)
}

// Changes implements backend.Notifier.
func (c Backend) Changes(ctx context.Context) (<-chan struct{}, error) {
	if os.Getenv(EnvVar) == "" {
		return nil, fmt.Errorf("cabitest: $%s is not set: %w", EnvVar, backend.ErrNotFound)
	}
	last, _ := c.read()
	ch := make(chan struct{}, 1)
	go func() {
		defer close(ch)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			b, _ := c.read()
			if bytes.Equal(b, last) {
				continue
			}
			last = b
			select {
			case ch <- struct{}{}:
			default: // one is pending
			}
		}
	}()
	return ch, nil
}
