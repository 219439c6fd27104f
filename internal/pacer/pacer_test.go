package pacer

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Ticks are due on the absolute schedule; a stall skips the ticks it
// missed instead of bursting; cancellation ends a wait.
func TestPacer(t *testing.T) {
	var p Pacer
	p.Init(10 * time.Millisecond)
	ctx := context.Background()
	k0, t0, _ := p.Next(ctx)
	k1, t1, _ := p.Next(ctx)
	if k0 != 0 || k1 != 1 || t1-t0 != 10*time.Millisecond {
		t.Fatalf("ticks %d@%v, %d@%v; want 0 and 1, 10 ms apart", k0, t0, k1, t1)
	}
	time.Sleep(35 * time.Millisecond)
	if k, _, _ := p.Next(ctx); k < 4 {
		t.Fatalf("after a 35 ms stall tick %d, want the missed ticks skipped (≥ 4)", k)
	}
	p.Init(time.Hour)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, _, err := p.Next(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next with an hour to wait: %v, want the context's error", err)
	}
}
