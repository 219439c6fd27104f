//go:build cgo && (darwin || windows)

package all

// Cameras and screens through pion/mediadevices, where miniav has no
// native video backend. pion's drivers enumerate their devices when the
// program starts (see backend/mediadevices).
import _ "github.com/miniav-go/miniav/backend/mediadevices"
