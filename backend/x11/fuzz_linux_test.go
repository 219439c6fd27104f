package x11

import (
	"errors"
	"testing"

	"github.com/miniav-go/miniav/backend"
)

// FuzzParseAddr parses X11 device addresses: display, monitor or window
// and the query string. A bad one wraps ErrNotFound or ErrNotSupported;
// a good window address has a nonzero id.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{":1", ":0?shm=0", ":1/monitor/VIRTUAL1", ":1/window/0x400001", ":1/window/4194305?shm=1",
		"host:0.0", ":1/monitor/", ":1/window/0", ":1/x", ":1?%zz", ":1?bogus=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, a string) {
		p, err := parseAddr(a)
		if err != nil {
			if !errors.Is(err, backend.ErrNotFound) && !errors.Is(err, backend.ErrNotSupported) {
				t.Fatalf("parseAddr(%q): %v wraps no backend sentinel", a, err)
			}
			return
		}
		if len(p.monitor) > len(a) || p.display == "" {
			t.Fatalf("parseAddr(%q) = %+v", a, p)
		}
	})
}
