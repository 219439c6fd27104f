package webmedia

import (
	"errors"
	"testing"

	"github.com/miniav-go/miniav/backend"
)

func TestDOMErrorMatches(t *testing.T) {
	for _, c := range []struct {
		e    DOMError
		want error
	}{
		{DOMError{Name: "NotAllowedError"}, backend.ErrPermissionDenied},
		{DOMError{Name: "NotFoundError"}, backend.ErrNotFound},
		{DOMError{Name: "OverconstrainedError", Constraint: "deviceId"}, backend.ErrNotFound},
		{DOMError{Name: "OverconstrainedError", Constraint: "width"}, backend.ErrNotSupported},
		{DOMError{Name: "NotReadableError"}, backend.ErrBusy},
	} {
		if !errors.Is(&c.e, c.want) {
			t.Errorf("%v does not match %v", &c.e, c.want)
		}
	}
	if errors.Unwrap(&DOMError{Name: "WeirdError"}) != nil {
		t.Error("an unknown DOMException matched a backend error")
	}
}

func TestParseAddr(t *testing.T) {
	for addr, want := range map[string]target{
		"":               {kind: "camera"},
		"camera":         {kind: "camera"},
		"camera/abc=":    {kind: "camera", deviceID: "abc="},
		"microphone":     {kind: "microphone"},
		"microphone/x/y": {kind: "microphone", deviceID: "x/y"},
		"screen":         {kind: "screen"},
	} {
		got, err := parseAddr(addr)
		if err != nil || got != want {
			t.Errorf("parseAddr(%q) = %+v, %v; want %+v", addr, got, err, want)
		}
	}
	for _, addr := range []string{"speaker", "screen/1"} {
		if _, err := parseAddr(addr); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("parseAddr(%q): %v, want ErrNotFound", addr, err)
		}
	}
}

func TestFPSRational(t *testing.T) {
	for f, want := range map[float64][2]int{30: {30, 1}, 29.97: {29970, 1000}, 0: {0, 0}} {
		if n, d := fpsRational(f); n != want[0] || d != want[1] {
			t.Errorf("fpsRational(%v) = %d/%d", f, n, d)
		}
	}
}
