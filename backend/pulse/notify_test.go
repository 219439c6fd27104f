//go:build !js

package pulse

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/devices"
	daemon "github.com/miniav-go/miniav/internal/pulse"

	"github.com/miniav-go/miniav/internal/testenv"
)

// A Watcher with polling off hears of a source added and removed on the
// server through the pulse backend's subscription alone.
func TestWatcherHearsSources(t *testing.T) {
	srv := daemon.Shared(t)
	w := devices.NewWatcher(context.Background(), devices.WithInterval(0), devices.WithKinds(devices.Loopback), devices.WithSettle(20*time.Millisecond))
	defer w.Close()
	next := func() devices.Event {
		t.Helper()
		select {
		case e := <-w.Events:
			return e
		case err := <-w.Errors:
			t.Fatalf("watcher error: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10 s")
		}
		return devices.Event{}
	}
	unload := srv.NullSink(t, "plugged")
	if e := next(); e.Op != devices.Added || e.Device.ID != "pulse:plugged.monitor" || e.Device.Kind != backend.KindLoopback {
		t.Fatalf("after loading a sink: %v %s %v", e.Op, e.Device.ID, e.Device.Kind)
	}
	unload()
	if e := next(); e.Op != devices.Removed || e.Device.ID != "pulse:plugged.monitor" {
		t.Fatalf("after unloading it: %v %s", e.Op, e.Device.ID)
	}
}

// The subscription ends, closing its channel, on cancel and when the
// server dies; without a server there is nothing to watch.
func TestChangesEnds(t *testing.T) {
	srv := daemon.StartT(t)
	t.Setenv("PULSE_SERVER", srv.Addr)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := Backend{}.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	testenv.WaitClosed(t, ch, "after cancel")
	ch, err = Backend{}.Changes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	testenv.WaitClosed(t, ch, "after the server died")
	t.Setenv("PULSE_SERVER", "unix:/nonexistent/native")
	if _, err := (Backend{}).Changes(context.Background()); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("without a server: %v, want ErrNotFound", err)
	}
}
