package backendtest

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/miniav-go/miniav/backend"
)

// sourceMemory: buffers lent from the same region carry the same
// *backend.Memory and ID, different regions different IDs, every plane
// lies in its region, and a function registered with OnTeardown runs
// exactly once per region, after Close and the release of the last buffer
// lent from it, never while one is held, and while the region is still
// mapped (the function reads it).
func (k *kit) sourceMemory(t *testing.T) {
	src, _ := k.open(t, k.o.buffers, true)
	ctx := context.Background()
	held := k.read(t, src, ctx)
	if held.Memory == nil {
		release(&held)
		if k.o.memory > 0 {
			t.Fatal("buffer has no Memory; the source is said to lend one (LendsMemory)")
		}
		// Nothing to check, and not a skip: a source need not lend one
		// (webmedia's Chromium run fails on any skipped subtest).
		t.Log("the source lends no backend.Memory")
		return
	}
	type seen struct {
		m     *backend.Memory
		runs  atomic.Int32
		reads int
	}
	byID := map[uint64]*seen{}
	var sink atomic.Uint32
	note := func(b *backend.Buffer) {
		t.Helper()
		m := b.Memory
		if m == nil {
			t.Errorf("buffer %d has no Memory, an earlier one had", b.Sequence)
			return
		}
		if m.ID() == 0 {
			t.Errorf("Memory.ID() = 0")
		}
		for i := range max(b.NumPlanes, 1) {
			if len(b.Planes[i]) > 0 && m.Offset(b.Planes[i]) < 0 {
				t.Errorf("plane %d of buffer %d lies outside its Memory (%d bytes)", i, b.Sequence, len(m.Bytes()))
			}
		}
		if k.o.memory == 2 && !m.PageAligned() {
			t.Errorf("Memory %d (%d bytes) is not page-aligned", m.ID(), len(m.Bytes()))
		}
		s := byID[m.ID()]
		if s == nil {
			for id, o := range byID {
				if o.m == m {
					t.Errorf("one Memory came with IDs %d and %d", id, m.ID())
				}
			}
			s = &seen{m: m}
			byID[m.ID()] = s
			region := m.Bytes()
			if err := m.OnTeardown(func() {
				s.runs.Add(1)
				sink.Add(uint32(region[0]) + uint32(region[len(region)-1])) // still mapped
			}); err != nil {
				t.Fatalf("OnTeardown on a lent Memory: %v", err)
			}
		} else if s.m != m {
			t.Errorf("ID %d came with two different *Memory", m.ID())
		}
		s.reads++
	}
	note(&held)
	for range 3 * k.o.buffers {
		b := k.read(t, src, ctx)
		note(&b)
		release(&b)
	}
	if len(byID) < 2 {
		t.Errorf("%d reads with one held gave %d region(s), want at least 2", 3*k.o.buffers+1, len(byID))
	}
	reused := false
	for id, s := range byID {
		if s.reads > 1 {
			reused = true
		}
		if n := s.runs.Load(); n != 0 {
			t.Errorf("Memory %d torn down %d time(s) while the source is open", id, n)
		}
	}
	if !reused {
		t.Errorf("no region was lent twice in %d reads: the identity is not stable", 3*k.o.buffers+1)
	}
	k.close(t, src)
	hs := byID[held.Memory.ID()]
	if n := hs.runs.Load(); n != 0 {
		t.Errorf("the held buffer's Memory was torn down %d time(s) while the buffer is held", n)
	}
	if !hs.m.TornDown() && hs.m.OnTeardown(func() {}) != nil {
		t.Error("OnTeardown failed on a Memory not yet torn down")
	}
	releaseAll([]backend.Buffer{held})
	for id, s := range byID {
		if n := s.runs.Load(); n != 1 {
			t.Errorf("Memory %d: teardown ran %d time(s) after Close and the last release, want 1", id, n)
		}
		if err := s.m.OnTeardown(func() {}); err == nil {
			t.Errorf("Memory %d: OnTeardown after teardown returned nil, want ErrClosed", id)
		}
	}
}
