//go:build !js

package pulse

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
)

// A server that accepts the connection and breaks it during the handshake
// (what the chaos run saw of a daemon killed at that moment) is no server:
// Open fails with ErrNotFound, not with a bare "connection reset".
func TestServerBreaksHandshake(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "native")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 1)
			c.Read(buf) // the start of the auth request; closing with the rest unread resets the connection
			c.Close()
		}
	}()
	defer func() { l.Close(); <-done }()
	for _, id := range []string{"pulse:?server=unix:" + sock, "pulse:loopback?server=unix:" + sock} {
		s, err := miniav.Open(context.Background(), id)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%q) succeeded", id)
		}
		if !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("Open(%q) = %v, want ErrNotFound", id, err)
		}
	}
}
