//go:build linux

package pipewire

import (
	"errors"
	"testing"

	"github.com/miniav-go/miniav/backend"
)

func TestParseAddr(t *testing.T) {
	for _, c := range []struct {
		in   string
		want addr
	}{
		{"", addr{what: "screen", persist: 2}},
		{"screen?restore=abc-1&persist=1", addr{what: "screen", restore: "abc-1", persist: 1}},
		{"window?bus=unix:path=/x", addr{what: "window", bus: "unix:path=/x", persist: 2}},
		{"42?remote=pipewire-1", addr{what: "node", node: 42, remote: "pipewire-1", persist: 2}},
		{"camera/testcam", addr{what: "camera", name: "testcam", persist: 2}},
	} {
		got, err := parseAddr(c.in)
		if err != nil || got != c.want {
			t.Errorf("parseAddr(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"0", "nope", "camera/", "screen?persist=3", "screen?%zz"} {
		if _, err := parseAddr(bad); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("parseAddr(%q): %v, want ErrNotFound", bad, err)
		}
	}
}
