package main

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miniav-go/miniav/backend"
)

// later is a backend whose one camera appears once the test says so: it
// stands for a camera being plugged in while "devices -watch" runs.
type later struct{ plugged atomic.Bool }

func (*later) Name() string { return "latertest" }
func (l *later) Devices(context.Context) ([]backend.Device, error) {
	if !l.plugged.Load() {
		return nil, nil
	}
	return []backend.Device{{ID: "latertest:cam", Name: "Late Cam", Kind: backend.KindCamera}}, nil
}
func (*later) Open(context.Context, string, backend.Config) (backend.Source, error) {
	return nil, backend.ErrNotSupported
}

var late = &later{}

func init() { backend.Register(late) }

// "devices -watch" lists, then prints a camera plugged in later, and exits
// 0 when its context ends.
func TestDevicesWatch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuf
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"devices", "-kind", "camera", "-watch", "-interval", "10ms"}, &out, &out)
	}()
	waitOutput(t, &out, "testsrc:camera") // listed first
	if strings.Contains(out.String(), "latertest") {
		t.Fatalf("before plugging:\n%s", out.String())
	}
	late.plugged.Store(true)
	defer late.plugged.Store(false)
	waitOutput(t, &out, "added\tlatertest:cam\tcamera\tLate Cam\n")
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
}

func waitOutput(t *testing.T, out *syncBuf, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), want); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in:\n%s", want, out.String())
		}
	}
}
