//go:build cgo && linux

package malgo

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

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
