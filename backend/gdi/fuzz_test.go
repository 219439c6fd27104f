package gdi

import (
	"errors"
	"testing"

	"github.com/miniav-go/miniav/backend"
)

// FuzzParseAddr parses GDI device addresses. A bad one wraps ErrNotFound;
// a good one names the virtual screen, a display or a nonzero window.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"", "display/0", "display/12", "window/0x1a2b", "window/6699", "window/0", "display/", "display/-1", "bogus", "window/0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, a string) {
		p, err := parseAddr(a)
		if err != nil {
			if !errors.Is(err, backend.ErrNotFound) {
				t.Fatalf("parseAddr(%q): %v does not wrap ErrNotFound", a, err)
			}
			return
		}
		switch {
		case a == "":
			if p.display != -1 || p.window != 0 {
				t.Fatalf("parseAddr(%q) = %+v", a, p)
			}
		case p.window != 0:
			if p.display != -1 {
				t.Fatalf("parseAddr(%q) = %+v", a, p)
			}
		case p.display < 0:
			t.Fatalf("parseAddr(%q) = %+v names nothing", a, p)
		}
	})
}

func TestParseAddr(t *testing.T) {
	for a, want := range map[string]addr{
		"": {display: -1}, "display/3": {display: 3}, "window/0x1a2b": {display: -1, window: 0x1a2b}, "window/6699": {display: -1, window: 6699},
	} {
		if p, err := parseAddr(a); err != nil || p != want {
			t.Errorf("parseAddr(%q) = %+v, %v; want %+v", a, p, err, want)
		}
	}
}
