package miniav_test

import (
	"context"
	"testing"

	"github.com/miniav-go/miniav"
)

// Frame.Memory: frames lent from the same pooled buffer share one
// identity, a clone has its own, a released handle has none, and the
// teardown of a region held by a frame across the stream's Close runs once,
// only after that frame's release.
func TestFrameMemory(t *testing.T) {
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small), miniav.WithPull(), miniav.WithUnpaced(), miniav.WithBuffers(3))
	held, err := s.Next()
	if err != nil {
		t.Fatal(err)
	}
	hm := held.Memory()
	if hm == nil || hm.Offset(held.Video().Plane(0)) < 0 {
		t.Fatalf("frame Memory %v does not hold plane 0", hm)
	}
	torn := 0
	if err := hm.OnTeardown(func() { torn++ }); err != nil {
		t.Fatal(err)
	}
	ids := map[uint64]int{}
	for range 12 {
		f, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		m := f.Memory()
		if m == nil || m == hm || m.Offset(f.Video().Plane(0)) < 0 {
			t.Fatalf("frame %d: Memory %v (held frame's %v)", f.Sequence(), m, hm)
		}
		ids[m.ID()]++
		f.Release()
		if f.Memory() != nil {
			t.Fatal("a released frame still reports its Memory")
		}
	}
	reused := false
	for _, n := range ids {
		reused = reused || n > 1
	}
	if !reused {
		t.Errorf("12 frames came from %d distinct regions, none reused: %v", len(ids), ids)
	}
	c, err := held.Clone()
	if err != nil {
		t.Fatal(err)
	}
	if cm := c.Memory(); cm == nil || cm == hm || cm.Offset(c.Video().Plane(0)) < 0 {
		t.Errorf("clone Memory %v, want its own region holding its planes", cm)
	}
	c.Release()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if torn != 0 {
		t.Fatalf("held frame's region torn down %d time(s) while the frame is held", torn)
	}
	held.Release()
	if torn != 1 {
		t.Errorf("held frame's region torn down %d time(s) after its release, want 1", torn)
	}
}
