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
