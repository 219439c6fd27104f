//go:build cgo

package main

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/devices"
)

// The watch functions themselves are tested through the built library by
// the C and Python clients (testdata/client.c, testdata/client.py).

func TestParseKinds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []devices.Kind
	}{
		{"", nil},
		{"  ", nil},
		{"camera", []devices.Kind{devices.Camera}},
		{"camera,microphone", []devices.Kind{devices.Camera, devices.Microphone}},
		{" display , window,loopback ", []devices.Kind{devices.Display, devices.Window, devices.Loopback}},
	} {
		got, err := parseKinds(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseKinds(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"telescope", "camera,telescope", "camera,", ",camera", "Camera", "unknown", "camera;microphone"} {
		_, err := parseKinds(in)
		if !errors.Is(err, miniav.ErrInvalid) {
			t.Errorf("parseKinds(%q): %v, want an error matching ErrInvalid", in, err)
		} else if !strings.Contains(err.Error(), "unknown kind") {
			t.Errorf("parseKinds(%q): %v", in, err)
		}
	}
}

func TestHandleTables(t *testing.T) {
	var a table[int]
	b := table[int]{base: watchBase}
	ha, hb := a.add(1), b.add(2)
	if ha != 1 || hb != watchBase+1 {
		t.Fatalf("handles %d, %d", ha, hb)
	}
	for _, c := range []struct {
		t            *table[int]
		h            uint64
		open, issued bool
	}{
		{&a, ha, true, true}, {&b, hb, true, true},
		{&a, hb, false, false}, {&b, ha, false, false}, // another table's handle
		{&a, 0, false, false}, {&b, 0, false, false}, {&b, watchBase, false, false}, {&a, 2, false, false},
	} {
		if _, open, issued := c.t.lookup(c.h); open != c.open || issued != c.issued {
			t.Errorf("lookup(%d) in table with base %d: open %v issued %v", c.h, c.t.base, open, issued)
		}
	}
	if v, open, issued := b.remove(hb); v != 2 || !open || !issued {
		t.Errorf("remove: %v %v %v", v, open, issued)
	}
	if _, open, issued := b.remove(hb); open || !issued {
		t.Errorf("second remove: open %v issued %v", open, issued)
	}
	if h := b.add(3); h != watchBase+2 {
		t.Errorf("handle %d reused or skipped, want %d", h, watchBase+2)
	}
}
