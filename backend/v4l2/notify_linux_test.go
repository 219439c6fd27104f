//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miniav-go/miniav/internal/testenv"
)

// expectNote fails unless ch receives (want) or stays quiet (!want) within d.
func expectNote(t *testing.T, ch <-chan struct{}, want bool, d time.Duration, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: the channel closed", what)
		}
		if !want {
			t.Fatalf("%s: notified", what)
		}
	case <-time.After(d):
		if want {
			t.Fatalf("%s: no notification within %v", what, d)
		}
	}
}

// The inotify watch (on the host's kernel, in a directory of its own)
// notifies for video* nodes created, chmod-ed, renamed and removed, stays
// quiet for other names, and ends on cancel and when its directory goes.
func TestWatchNodes(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := watchNodes(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	node := filepath.Join(dir, "video3")
	quiet := 100 * time.Millisecond
	if err := os.WriteFile(filepath.Join(dir, "media0"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	expectNote(t, ch, false, quiet, "media0 created")
	if err := os.WriteFile(node, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	expectNote(t, ch, true, 5*time.Second, "video3 created")
	expectNote(t, ch, false, quiet, "after one creation") // coalesced, nothing more pending
	if err := os.Chmod(node, 0o660); err != nil {
		t.Fatal(err)
	}
	expectNote(t, ch, true, 5*time.Second, "video3 chmod")
	if err := os.Rename(node, filepath.Join(dir, "video4")); err != nil {
		t.Fatal(err)
	}
	expectNote(t, ch, true, 5*time.Second, "video3 renamed")
	if err := os.Remove(filepath.Join(dir, "video4")); err != nil {
		t.Fatal(err)
	}
	expectNote(t, ch, true, 5*time.Second, "video4 removed")
	cancel()
	testenv.WaitClosed(t, ch, "after cancel")

	gone := t.TempDir()
	ch, err = watchNodes(context.Background(), gone)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	testenv.WaitClosed(t, ch, "after its directory was removed")

	if _, err := watchNodes(context.Background(), filepath.Join(dir, "missing")); err == nil {
		t.Fatal("watching a missing directory succeeded")
	}
}
