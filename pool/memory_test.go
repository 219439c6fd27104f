package pool

import (
	"errors"
	"os"
	"testing"

	"github.com/miniav-go/miniav/backend"
)

// A buffer keeps its Memory across reuse; two buffers have two; buffers of
// a page or more are page-aligned and their bytes lie in the region.
func TestMemoryIdentityAndAlignment(t *testing.T) {
	page := os.Getpagesize()
	p := New()
	a, _ := p.Get(3 * page / 2)
	b, _ := p.Get(3 * page / 2)
	ma, mb := a.Memory(), b.Memory()
	if ma == nil || mb == nil || ma.ID() == mb.ID() {
		t.Fatalf("two held buffers: Memory %v and %v, want two distinct", ma, mb)
	}
	for _, x := range []*Buffer{a, b} {
		m := x.Memory()
		if !m.PageAligned() {
			t.Errorf("buffer of %d bytes: Memory of %d bytes not page-aligned", len(x.Bytes()), len(m.Bytes()))
		}
		if m.Offset(x.Bytes()) != 0 {
			t.Errorf("Bytes() at offset %d of its Memory, want 0", m.Offset(x.Bytes()))
		}
	}
	a.Release()
	c, _ := p.Get(3*page/2 - 7)
	if c.Memory() != ma || c.Memory().ID() != ma.ID() {
		t.Errorf("reused buffer came with Memory %d, want %d", c.Memory().ID(), ma.ID())
	}
	small, _ := p.Get(100)
	if small.Memory() == nil || small.Memory().Offset(small.Bytes()) != 0 {
		t.Error("a small buffer has no Memory holding its bytes")
	}
	for _, x := range []*Buffer{b, c, small} {
		x.Release()
	}
	p.Close()
}

// Close tears down free buffers at once and held ones at their release,
// exactly once each; Get after Close fails with ErrClosed.
func TestCloseTearsDown(t *testing.T) {
	p := New()
	held, _ := p.Get(10000)
	free, _ := p.Get(10000)
	runs := map[uint64]int{}
	for _, b := range []*Buffer{held, free} {
		m := b.Memory()
		if err := m.OnTeardown(func() { runs[m.ID()]++ }); err != nil {
			t.Fatal(err)
		}
	}
	free.Release()
	if len(runs) != 0 {
		t.Fatalf("teardown ran before Close: %v", runs)
	}
	p.Close()
	p.Close()
	if runs[free.Memory().ID()] != 1 || runs[held.Memory().ID()] != 0 {
		t.Errorf("after Close: free torn down %d time(s), held %d; want 1 and 0", runs[free.Memory().ID()], runs[held.Memory().ID()])
	}
	held.Release()
	if runs[held.Memory().ID()] != 1 {
		t.Errorf("held buffer torn down %d time(s) after its release, want 1", runs[held.Memory().ID()])
	}
	if _, err := p.Get(10); !errors.Is(err, ErrClosed) || !errors.Is(err, backend.ErrClosed) {
		t.Errorf("Get after Close: %v, want ErrClosed", err)
	}
	if s := p.Stats(); s.Bytes != 0 || s.Outstanding != 0 {
		t.Errorf("after Close and release: %+v, want no bytes, none outstanding", s)
	}
}

// A buffer the pool gives back to make room is torn down first.
func TestTrimTearsDown(t *testing.T) {
	p := New(WithMaxBytes(20000))
	a, _ := p.Get(8192)
	torn := 0
	a.Memory().OnTeardown(func() { torn++ })
	a.Release()
	b, err := p.Get(16384) // another class: needs a's bytes
	if err != nil {
		t.Fatal(err)
	}
	if torn != 1 {
		t.Errorf("trimmed buffer torn down %d time(s), want 1", torn)
	}
	b.Release()
	p.Close()
}
