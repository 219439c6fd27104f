package lend

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestHandleTables(t *testing.T) {
	const base = 1 << 52
	var a Table[int]
	b := Table[int]{Base: base}
	ha, hb := a.Add(1), b.Add(2)
	if ha != 1 || hb != base+1 {
		t.Fatalf("handles %d, %d", ha, hb)
	}
	for _, c := range []struct {
		t            *Table[int]
		h            uint64
		open, issued bool
	}{
		{&a, ha, true, true}, {&b, hb, true, true},
		{&a, hb, false, false}, {&b, ha, false, false}, // another table's handle
		{&a, 0, false, false}, {&b, 0, false, false}, {&b, base, false, false}, {&a, 2, false, false},
	} {
		if _, open, issued := c.t.Lookup(c.h); open != c.open || issued != c.issued {
			t.Errorf("lookup(%d) in table with base %d: open %v issued %v", c.h, c.t.Base, open, issued)
		}
	}
	if v, open, issued := b.Remove(hb); v != 2 || !open || !issued {
		t.Errorf("remove: %v %v %v", v, open, issued)
	}
	if _, open, issued := b.Remove(hb); open || !issued {
		t.Errorf("second remove: open %v issued %v", open, issued)
	}
	if h := b.Add(3); h != base+2 {
		t.Errorf("handle %d reused or skipped, want %d", h, base+2)
	}
}

func TestLoans(t *testing.T) {
	var ls Loans[int]
	h1, l1 := ls.New(miniav.Frame{})
	l1.X = 7
	h2, _ := ls.New(miniav.Frame{})
	if h1 == 0 || h2 != h1+1 || ls.Len() != 2 {
		t.Fatalf("handles %d %d, %d lent", h1, h2, ls.Len())
	}
	l := ls.Take(h1)
	if l != l1 || l.X != 7 {
		t.Fatalf("Take(%d) = %p (X %d), want %p", h1, l, l.X, l1)
	}
	if again := ls.Take(h1); again != nil {
		t.Fatalf("second Take(%d) = %p, want nil", h1, again)
	}
	ls.Recycle(l)
	h3, l3 := ls.New(miniav.Frame{})
	if l3 != l1 || l3.X != 0 || h3 != h2+1 {
		t.Fatalf("recycled loan %p X %d handle %d, want %p X 0 handle %d", l3, l3.X, h3, l1, h2+1)
	}
	if ls.Take(0) != nil || ls.Len() != 2 {
		t.Fatalf("Take(0) found a loan, or %d lent", ls.Len())
	}
	if fs := ls.Frames(nil); len(fs) != 2 {
		t.Fatalf("Frames = %d frames, want the 2 lent", len(fs))
	}
	ls.Take(h2)
	if fs := ls.Frames(make([]miniav.Frame, 0, 4)); len(fs) != 1 {
		t.Fatalf("Frames = %d frames, want 1 after a Take", len(fs))
	}
}
