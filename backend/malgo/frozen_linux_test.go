//go:build cgo && linux

package malgo

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/internal/pulse"
)

// Closing a source whose PulseAudio server stopped answering (SIGSTOP)
// gives up after closeTimeout with ErrDeviceLost, and its slots go back to
// the pool once miniaudio lets go (the server resumes). The chaos run
// (internal/chaos) saw Close wait for a stopped daemon; the slots of a
// Close that timed out were never given back.
func TestCloseFrozenServer(t *testing.T) {
	srv := pulse.StartT(t)
	t.Setenv("MINIAV_MALGO_GOCALLBACK", "1") // slots from the package's pool, which PoolStats shows
	before := PoolStats().Outstanding
	src, err := Backend{name: Name}.Open(context.Background(), pulse.Monitor+"?backend=pulseaudio&watchdog=0&server="+srv.Addr, backend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var b backend.Buffer
	if err := src.Read(context.Background(), &b); err != nil {
		src.Close()
		t.Fatal(err)
	}
	b.Releaser.ReleaseBuffer(b.Token)
	if err := syscall.Kill(srv.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	err = src.Close()
	took := time.Since(t0)
	syscall.Kill(srv.Pid(), syscall.SIGCONT)
	if took > closeTimeout+2*time.Second {
		t.Errorf("Close took %v with a stopped server, want about closeTimeout (%v)", took, closeTimeout)
	}
	if !errors.Is(err, backend.ErrDeviceLost) {
		t.Errorf("Close with a stopped server = %v (after %v), want ErrDeviceLost", err, took)
	}
	for deadline := time.Now().Add(10 * time.Second); PoolStats().Outstanding != before; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d pooled slots outstanding 10 s after the server resumed, %d before Open", PoolStats().Outstanding, before)
		}
	}
}
