package freelist

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The most recently returned buffer comes back first; an empty list waits
// for a Put or for ctx.
func TestList(t *testing.T) {
	l := New(3)
	for want := range 3 {
		if i, ok := l.TryGet(); !ok || i != want {
			t.Fatalf("TryGet = %d, %v; want %d", i, ok, want)
		}
	}
	if _, ok := l.TryGet(); ok {
		t.Fatal("TryGet on an empty list succeeded")
	}
	l.Put(2)
	l.Put(0)
	if i, _ := l.TryGet(); i != 0 {
		t.Fatalf("got %d, want the last returned (0)", i)
	}
	l.TryGet()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.Get(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get on an empty list: %v", err)
	}
	go func() { time.Sleep(5 * time.Millisecond); l.Put(1) }()
	if i, err := l.Get(context.Background()); err != nil || i != 1 {
		t.Fatalf("Get = %d, %v; want 1", i, err)
	}
	if n := testing.AllocsPerRun(100, func() { l.Put(1); l.TryGet() }); n != 0 {
		t.Fatalf("%v allocations per Put+TryGet", n)
	}
}
