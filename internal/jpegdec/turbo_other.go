//go:build !(cgo && (linux || darwin || freebsd))

package jpegdec

import "fmt"

// Turbo is the TurboJPEG decoder, unavailable in this build (it needs
// cgo on Linux, macOS or FreeBSD).
type Turbo struct{ Pure }

// NewTurbo fails with ErrUnavailable: this build has no cgo.
func NewTurbo() (*Turbo, error) {
	return nil, fmt.Errorf("built without cgo: %w", ErrUnavailable)
}
