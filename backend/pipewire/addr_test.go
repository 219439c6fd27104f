//go:build linux

package pipewire

import (
	"errors"
	"testing"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
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

// FuzzParseAddr: any device address parses or fails with ErrNotFound,
// never panics.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"", "screen?restore=x&persist=1", "window", "42?remote=a", "camera/x", "camera/", "%", "screen?persist=9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAddr(s)
		if err != nil && !errors.Is(err, backend.ErrNotFound) {
			t.Fatalf("parseAddr(%q): %v, not ErrNotFound", s, err)
		}
		if err == nil && a.what == "" {
			t.Fatalf("parseAddr(%q) = %+v without a kind", s, a)
		}
	})
}

// FuzzParseCameras: the registry lines libpipewire's properties become
// (tab-separated, from other processes) never panic the parser, and
// every node it returns has a name.
func FuzzParseCameras(f *testing.F) {
	f.Add("N\t37\tcam\tCam\t39\t\nN\t40\tx\t\t306\t/dev/video0\nF\t40\t1\te:4,12\tr:1x1,640x480\te:30/1,15/1\n")
	f.Add("N\t3\tc\t\t\t\nF\t3\t1\tn:4\ts:2x2,8x8,2x2\tr:0/1,60/1\nF\t3\t9\t\tn:4x4\tn:x\n")
	f.Add("\t\t\t\t\n")
	f.Add("99999999999\ta\tb\tc\td\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range parseCameras(s, func(_, v uint32) format.PixelFormat { return format.PixelFormat(v) }) {
			if c.name == "" {
				t.Fatalf("camera without a name from %q", s)
			}
		}
	})
}
