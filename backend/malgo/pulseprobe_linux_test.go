//go:build cgo && linux

package malgo

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gen2brain/malgo"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/internal/pulse"
)

// memfds counts the process's memfd descriptors (libpulse's memory pools).
func memfds(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	n := 0
	for _, e := range es {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); strings.HasPrefix(l, "/memfd:") {
			n++
		}
	}
	return n
}

// Opening, probing or listing a PulseAudio server that is not there leaks
// nothing: miniaudio's own failed connection left a pa_context (a memfd and
// its 64 MiB mapping) behind every time; the chaos run (internal/chaos)
// found 7 after one minute of killing the daemon.
func TestUnreachableServerLeaksNothing(t *testing.T) {
	srv := pulse.StartT(t)
	addr := srv.Addr
	srv.Kill() // a server that was there: its socket file is left behind
	before := memfds(t)
	for _, id := range []string{
		"malgo:?backend=pulseaudio&server=" + addr,
		"malgo:" + pulse.Monitor + "?backend=pulseaudio&server=unix:/nonexistent/native",
	} {
		for range 10 {
			s, err := miniav.Open(context.Background(), id)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded with no server", id)
			}
			if !errors.Is(err, backend.ErrNotFound) {
				t.Fatalf("Open(%q) = %v, want ErrNotFound", id, err)
			}
		}
	}
	t.Setenv("PULSE_SERVER", addr)
	for range 5 {
		if _, err := (Backend{name: Name}).Devices(context.Background()); err != nil {
			t.Logf("Devices: %v", err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if after := memfds(t); after != before {
		t.Fatalf("%d memfds before 25 failed connections, %d after", before, after)
	}
}

// fillConnections connects bare sockets to srv one by one until PulseAudio
// refuses one (it closes a connection over its client limit at once: the
// socket reads EOF, while one it keeps waits for authentication and reads
// nothing), then frees room for exactly n more clients. The sockets close
// with the test.
func fillConnections(t *testing.T, srv *pulse.Server, n int) {
	t.Helper()
	path := strings.TrimPrefix(srv.Addr, "unix:")
	var held []net.Conn
	t.Cleanup(func() {
		for _, c := range held {
			c.Close()
		}
	})
	refused := func(c net.Conn, d time.Duration) bool {
		c.SetReadDeadline(time.Now().Add(d))
		var b [1]byte
		_, err := c.Read(b[:])
		return !errors.Is(err, os.ErrDeadlineExceeded)
	}
	for len(held) < 1000 {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatalf("connection %d: %v", len(held)+1, err)
		}
		if !refused(c, 30*time.Millisecond) {
			held = append(held, c)
			continue
		}
		c.Close()
		for i, c := range held { // all still kept?
			if refused(c, time.Millisecond) {
				t.Fatalf("connection %d of %d was closed by the server", i+1, len(held))
			}
		}
		if len(held) < n {
			t.Fatalf("the server refused connection %d, want room for %d", len(held)+1, n)
		}
		for _, c := range held[len(held)-n:] {
			c.Close()
		}
		held = held[:len(held)-n]
		t.Logf("the server kept %d connections of ours; %d closed again", len(held)+n, n)
		time.Sleep(50 * time.Millisecond) // the server sees them go
		return
	}
	t.Fatal("the server took 1000 connections without refusing one")
}

// A server that takes miniaudio's context but refuses the device's own
// connection (PulseAudio's client limit, as when the server dies between
// the two) leaks nothing: miniaudio's device initialisation, like its
// context's, freed only the main loop of the failed connection, never the
// pa_context (its memfd and 64 MiB pool), which the chaos run found as a
// "/memfd:pulseaudio" left open.
func TestRefusedDeviceConnectionLeaksNothing(t *testing.T) {
	srv := pulse.StartT(t)
	fillConnections(t, srv, 1) // the probe, then miniaudio's context
	retries := 0
	before := memfds(t)
	for i := 0; i < 3; i++ {
		s, err := miniav.Open(context.Background(), "malgo:"+pulse.Monitor+"?backend=pulseaudio&server="+srv.Addr)
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded with no room on the server for the device's connection")
		}
		// The device's connection failed, not the context's (which
		// this fix cannot reach: see pulseReachable).
		fromDevice := errors.Is(err, backend.ErrNotFound) && strings.Contains(err.Error(), "open Monitor of TestSink")
		if !fromDevice && errors.Is(err, backend.ErrNotFound) && retries < 5 {
			// The context's own connection was refused: on two loaded
			// cores the server had not yet seen the last attempt's
			// connections go. That one leak is miniaudio's and out of
			// this fix's reach (pulseReachable), so count from here.
			retries++
			t.Logf("Open: %v; the server is still busy, again", err)
			time.Sleep(time.Duration(retries) * 200 * time.Millisecond)
			before = memfds(t)
			i--
			continue
		}
		if !fromDevice {
			t.Fatalf("Open = %v, want ErrNotFound from opening the device", err)
		}
		t.Logf("Open: %v", err)
		time.Sleep(100 * time.Millisecond) // the server sees the context go
	}
	time.Sleep(50 * time.Millisecond)
	if after := memfds(t); after != before {
		t.Fatalf("%d memfds before 3 refused device connections, %d after", before, after)
	}
}

// The workaround finds libpulse's functions in a real miniaudio context
// once, and only once: a patched context no longer matches.
func TestPatchPulse(t *testing.T) {
	srv := pulse.StartT(t)
	t.Setenv("PULSE_SERVER", srv.Addr)
	c, err := malgo.InitContext([]malgo.Backend{maPulse}, malgo.ContextConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer freeContext(c)
	if !patchPulse(c) {
		t.Fatal("patchPulse found no libpulse functions in a PulseAudio context")
	}
	if patchPulse(c) {
		t.Fatal("patchPulse patched an already patched context")
	}
}

// An Open cancelled at any moment, including just as miniaudio finishes,
// leaves nothing behind and tears the device down once: the source is
// either returned or undone by exactly one side (TestChaos once found a
// "/memfd:pulseaudio" left open, and a result seen by both Open and its
// opening goroutine could be undone twice).
func TestCancelledOpenLeaksNothing(t *testing.T) {
	srv := pulse.StartT(t)
	id := "malgo:" + pulse.Monitor + "?backend=pulseaudio&server=" + srv.Addr
	before := memfds(t)
	start := time.Now()
	s, err := miniav.Open(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	took := time.Since(start)
	opened, cancelled := 0, 0
	for i := range 40 {
		// Cancelled after 0.1x to 1.5x of an uncancelled open.
		ctx, cancel := context.WithCancel(context.Background())
		tm := time.AfterFunc(took*time.Duration(i+2)/28, cancel)
		s, err := miniav.Open(ctx, id, miniav.WithPull())
		switch {
		case err == nil:
			opened++
			if tm.Stop() { // not cancelled yet: the stream works
				if f, err := s.Next(); err != nil {
					t.Errorf("Next on an opened stream: %v", err)
				} else {
					f.Release()
				}
			}
			s.Close()
		case errors.Is(err, context.Canceled):
			cancelled++
		default:
			cancel()
			t.Fatalf("Open: %v, want success or context.Canceled", err)
		}
		cancel()
	}
	t.Logf("an open takes %v; %d of 40 opened, %d cancelled", took, opened, cancelled)
	if cancelled == 0 {
		t.Errorf("no Open was cancelled: the test did not reach the abandon path")
	}
	// Opens abandoned late finish and undo themselves in the background.
	deadline := time.Now().Add(5 * time.Second)
	for memfds(t) != before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if after := memfds(t); after != before {
		t.Fatalf("%d memfds before, %d after 40 cancelled opens", before, after)
	}
}
