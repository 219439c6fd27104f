package backend

import (
	"errors"
	"os"
	"sync"
	"testing"
	"unsafe"
)

func TestMemoryIdentity(t *testing.T) {
	a, b := NewMemory(make([]byte, 16)), NewMemory(make([]byte, 16))
	if a.ID() == 0 || b.ID() == 0 || a.ID() == b.ID() {
		t.Fatalf("IDs %d and %d: want distinct and non-zero", a.ID(), b.ID())
	}
	region := a.Bytes()
	if got := a.Offset(region[5:9]); got != 5 {
		t.Errorf("Offset(region[5:9]) = %d, want 5", got)
	}
	if got := a.Offset(b.Bytes()); got != -1 {
		t.Errorf("Offset of another region = %d, want -1", got)
	}
	if got := a.Offset(nil); got != -1 {
		t.Errorf("Offset(nil) = %d, want -1", got)
	}
	if got := a.Offset(region[10:]); got != 10 {
		t.Errorf("Offset(region[10:]) = %d, want 10", got)
	}
}

func TestMemoryPageAligned(t *testing.T) {
	page := os.Getpagesize()
	raw := make([]byte, 3*page)
	off := (page - int(uintptr(unsafe.Pointer(&raw[0]))%uintptr(page))) % page
	for _, c := range []struct {
		lo, hi int
		want   bool
	}{
		{off, off + page, true},
		{off, off + 2*page, true},
		{off + 1, off + 1 + page, false},
		{off, off + page - 1, false},
		{off, off, false},
	} {
		if got := NewMemory(raw[c.lo:c.hi]).PageAligned(); got != c.want {
			t.Errorf("PageAligned of [%d:%d] (page %d, aligned at %d) = %v, want %v", c.lo, c.hi, page, off, got, c.want)
		}
	}
}

func TestMemoryTeardown(t *testing.T) {
	m := NewMemory(make([]byte, 8))
	var order []int
	for i := range 3 {
		if err := m.OnTeardown(func() { order = append(order, i) }); err != nil {
			t.Fatal(err)
		}
	}
	if m.TornDown() || len(order) != 0 {
		t.Fatalf("hooks ran before Teardown: %v", order)
	}
	m.Teardown()
	m.Teardown()
	if len(order) != 3 || order[0] != 2 || order[1] != 1 || order[2] != 0 {
		t.Errorf("hooks ran as %v, want [2 1 0] once each", order)
	}
	if !m.TornDown() {
		t.Error("TornDown() = false after Teardown")
	}
	if err := m.OnTeardown(func() { t.Error("hook registered after teardown ran") }); !errors.Is(err, ErrClosed) {
		t.Errorf("OnTeardown after Teardown = %v, want ErrClosed", err)
	}
	m.Teardown()
}

// Concurrent Teardowns and registrations: every hook registered without
// error runs exactly once.
func TestMemoryTeardownConcurrent(t *testing.T) {
	m := NewMemory(make([]byte, 8))
	var mu sync.Mutex
	runs, accepted := 0, 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if m.OnTeardown(func() { mu.Lock(); runs++; mu.Unlock() }) == nil {
				mu.Lock()
				accepted++
				mu.Unlock()
			}
		}()
		go func() { defer wg.Done(); m.Teardown() }()
	}
	wg.Wait()
	if runs != accepted {
		t.Errorf("%d hooks accepted, %d ran", accepted, runs)
	}
}
