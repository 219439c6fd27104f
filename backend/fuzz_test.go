package backend

import (
	"errors"
	"strings"
	"testing"
)

// FuzzSplitID splits device IDs as users type them: an ID that splits is
// its scheme, a colon and its address; one that does not is ErrNotFound.
func FuzzSplitID(f *testing.F) {
	for _, s := range []string{"v4l2:/dev/video0", "x11::1/window/0x400001?shm=0", "testsrc:microphone?freq=1000",
		"malgo:pulse/alsa_input.pci?backend=pulse&watchdog=2s", "pulse:@DEFAULT_MONITOR@", ":nothing", "noscheme", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		scheme, addr, err := SplitID(id)
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("SplitID(%q): %v does not wrap ErrNotFound", id, err)
			}
			return
		}
		if scheme == "" || strings.Contains(scheme, ":") || scheme+":"+addr != id {
			t.Fatalf("SplitID(%q) = %q, %q", id, scheme, addr)
		}
		if _, ok := ParseKind(scheme); ok && strings.TrimSpace(scheme) != scheme {
			t.Fatalf("ParseKind(%q) accepts spaces", scheme)
		}
	})
}
