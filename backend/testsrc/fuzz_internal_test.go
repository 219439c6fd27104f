package testsrc

import (
	"errors"
	"testing"

	"github.com/miniav-go/miniav/backend"
)

// FuzzParseAddr parses testsrc addresses with their query strings: a bad
// one is ErrNotSupported, a good one has parameters in range.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"camera", "microphone?freq=1000", "screen?static=1&stamp=0", "camera?lose=5",
		"microphone?freq=1e9", "camera?%zz", "camera?freq=1&freq=2", "x?unknown=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		dev, p, err := parseAddr(addr)
		if err != nil {
			if !errors.Is(err, backend.ErrNotSupported) {
				t.Fatalf("parseAddr(%q): %v does not wrap ErrNotSupported", addr, err)
			}
			return
		}
		if len(dev) > len(addr) || !(p.freq > 0 && p.freq <= 1e6) {
			t.Fatalf("parseAddr(%q) = %q, %+v", addr, dev, p)
		}
	})
}
