//go:build linux

package portal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/internal/testenv"
	"github.com/miniav-go/miniav/internal/wlsession"
)

var (
	session    *wlsession.Session
	sessionErr error
)

func TestMain(m *testing.M) {
	session, sessionErr = wlsession.Start(640, 360, "#123456")
	if sessionErr == nil {
		session.Setenv()
		fmt.Fprintf(os.Stderr, "portal: headless session up in %v\n", session.StartTime.Round(time.Millisecond))
	}
	goleak.VerifyTestMain(wlsession.StopAfter(m, session))
}

func need(t *testing.T) {
	t.Helper()
	if sessionErr != nil {
		testenv.Missing(t, "headless portal session: %v", sessionErr)
	}
}

func TestStartAndRestore(t *testing.T) {
	need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	t0 := time.Now()
	s, err := Start(ctx, Options{Persist: PersistRevoked})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("CreateSession+SelectSources+Start: %v; info %+v; streams %+v", time.Since(t0), s.Info, s.Streams)
	if s.Info.Version < 4 || s.Info.SourceTypes&Monitor == 0 || s.Info.CursorModes&CursorHidden == 0 {
		t.Errorf("portal info %+v: want version >= 4, monitor, hidden cursor", s.Info)
	}
	if len(s.Streams) != 1 || s.Streams[0].Size.X != session.Width || s.Streams[0].Size.Y != session.Height || s.Streams[0].Node == 0 {
		t.Errorf("streams %+v, want one %dx%d node", s.Streams, session.Width, session.Height)
	}
	if s.CursorMode != CursorHidden {
		t.Errorf("cursor mode %v, want hidden", s.CursorMode)
	}
	if s.RestoreToken == "" {
		t.Error("no restore token with persist_mode 2")
	}
	f, err := s.OpenPipeWireRemote(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeSocket == 0 {
		t.Errorf("remote fd: %v, %v: want a socket", st, err)
	}
	f.Close()
	select {
	case <-s.Closed():
		t.Error("session closed before Close")
	default:
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	s.Close()

	s2, err := Start(ctx, Options{Persist: PersistRevoked, RestoreToken: s.RestoreToken, Cursor: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if len(s2.Streams) != 1 || s2.Streams[0].Size != s.Streams[0].Size {
		t.Errorf("restored streams %+v", s2.Streams)
	}
	if s2.RestoreToken == "" || s2.CursorMode != CursorEmbedded {
		t.Errorf("restored session: token %q cursor %v", s2.RestoreToken, s2.CursorMode)
	}
}

func TestCancelled(t *testing.T) {
	need(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Start(ctx, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Start with a cancelled context: %v", err)
	}
	// Cancelled while the requests are in flight: whatever step it hits,
	// the error is the context's and nothing is left (goleak).
	for _, d := range []time.Duration{time.Millisecond, 3 * time.Millisecond, 6 * time.Millisecond} {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		s, err := Start(ctx, Options{})
		cancel()
		if err == nil {
			s.Close()
			continue
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("after %v: %v, want DeadlineExceeded", d, err)
		}
	}
}

func TestWindowNotOffered(t *testing.T) {
	need(t)
	_, err := Start(context.Background(), Options{Types: Window})
	if !errors.Is(err, backend.ErrNotSupported) {
		t.Fatalf("window type on xdpw 0.7 (monitors only): %v, want ErrNotSupported", err)
	}
}

func TestNoBus(t *testing.T) {
	_, err := Start(context.Background(), Options{Address: "unix:path=/nonexistent/bus"})
	if !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("no bus: %v, want ErrNotFound", err)
	}
}
