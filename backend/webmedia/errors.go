package webmedia

import (
	"fmt"
	"strings"

	"github.com/miniav-go/miniav/backend"
)

// DOMError is an error the browser reported (a DOMException or
// OverconstrainedError). It matches the backend error its Name maps to.
type DOMError struct {
	Name       string // "NotAllowedError", "OverconstrainedError", ...
	Message    string
	Constraint string // the failed constraint of an OverconstrainedError
}

func (e *DOMError) Error() string {
	s := "webmedia: " + e.Name
	if e.Constraint != "" {
		s += " (constraint " + e.Constraint + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns the backend error e matches, or nil.
func (e *DOMError) Unwrap() error {
	switch e.Name {
	case "NotAllowedError", "SecurityError":
		return backend.ErrPermissionDenied
	case "NotFoundError":
		return backend.ErrNotFound
	case "OverconstrainedError":
		if e.Constraint == "deviceId" {
			return backend.ErrNotFound
		}
		return backend.ErrNotSupported
	case "NotSupportedError", "TypeError":
		return backend.ErrNotSupported
	case "NotReadableError", "AbortError":
		return backend.ErrBusy
	}
	return nil
}

// target is what a device address asks for.
type target struct {
	kind     string // "camera", "microphone" or "screen"
	deviceID string
}

// parseAddr parses the part of a device ID after "webmedia:".
func parseAddr(addr string) (target, error) {
	kind, id, _ := strings.Cut(addr, "/")
	switch kind {
	case "", "camera":
		return target{kind: "camera", deviceID: id}, nil
	case "microphone", "mic":
		return target{kind: "microphone", deviceID: id}, nil
	case "screen":
		if id != "" {
			break
		}
		return target{kind: "screen"}, nil
	}
	return target{}, fmt.Errorf("webmedia: device %q: want camera[/<id>], microphone[/<id>] or screen: %w", addr, backend.ErrNotFound)
}

// fpsRational turns a frame rate reported as a float into a Rational.
func fpsRational(f float64) (num, den int) {
	if f <= 0 {
		return 0, 0
	}
	if r := int(f + 0.5); r > 0 && abs(f-float64(r)) < 0.001 {
		return r, 1
	}
	return int(f*1000 + 0.5), 1000
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
