package gdi

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/miniav-go/miniav/backend"
)

// addr is a parsed device address.
type addr struct {
	display int     // -1: the virtual screen
	window  uintptr // HWND; 0 for display capture
}

// parseAddr parses "", "display/N" or "window/HWND" (hex with 0x, or
// decimal).
func parseAddr(a string) (addr, error) {
	p := addr{display: -1}
	switch {
	case a == "":
	case strings.HasPrefix(a, "display/"):
		n, err := strconv.ParseUint(strings.TrimPrefix(a, "display/"), 10, 16)
		if err != nil {
			return p, fmt.Errorf("gdi: bad display number in %q: %w", a, backend.ErrNotFound)
		}
		p.display = int(n)
	case strings.HasPrefix(a, "window/"):
		n, err := strconv.ParseUint(strings.TrimPrefix(a, "window/"), 0, 64)
		if err != nil || n == 0 || uint64(uintptr(n)) != n {
			return p, fmt.Errorf("gdi: bad window handle in %q: %w", a, backend.ErrNotFound)
		}
		p.window = uintptr(n)
	default:
		return p, fmt.Errorf("gdi: bad device address %q (want \"\", display/N or window/HWND): %w", a, backend.ErrNotFound)
	}
	return p, nil
}
