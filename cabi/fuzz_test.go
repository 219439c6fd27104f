//go:build cgo

package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
)

// FuzzParseKinds parses miniav_watch_open's kinds string, a C string from
// the caller: a bad one is ErrInvalid; a good one names each kind it
// lists. (miniav_open's format string goes to format.ParseVideo and
// ParseAudio, fuzzed in package format; its device ID to backend.SplitID
// and the backends' address parsers, fuzzed there.)
func FuzzParseKinds(f *testing.F) {
	for _, s := range []string{"", "camera", "camera,microphone", " display , window ", "loopback,", "bogus", ",,", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ks, err := parseKinds(s)
		if err != nil {
			if !errors.Is(err, miniav.ErrInvalid) {
				t.Fatalf("parseKinds(%q): %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		if strings.TrimSpace(s) == "" {
			if ks != nil {
				t.Fatalf("parseKinds(%q) = %v, want every kind (nil)", s, ks)
			}
			return
		}
		names := strings.Split(s, ",")
		if len(ks) != len(names) {
			t.Fatalf("parseKinds(%q) = %v: %d kinds for %d names", s, ks, len(ks), len(names))
		}
		for i, k := range ks {
			if got, ok := backend.ParseKind(strings.TrimSpace(names[i])); !ok || got != k {
				t.Fatalf("parseKinds(%q)[%d] = %v", s, i, k)
			}
		}
	})
}
