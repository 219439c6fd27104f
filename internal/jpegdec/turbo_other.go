//go:build !(cgo && (linux || darwin || freebsd))

package jpegdec

import "fmt"

// Turbo is the TurboJPEG decoder, unavailable in this build (it needs
// cgo on Linux, macOS or FreeBSD).
type Turbo struct{ Pure }

// HasTurbo reports whether this build can use TurboJPEG at all (with cgo,
// on an OS where it is loaded at run time). When it is false NewTurbo
// always fails and the pure-Go decoder is used.
const HasTurbo = false

// NewTurbo fails with ErrUnavailable: this build has no cgo.
func NewTurbo() (*Turbo, error) {
	return nil, fmt.Errorf("built without cgo: %w", ErrUnavailable)
}
