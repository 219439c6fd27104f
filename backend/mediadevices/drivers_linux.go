//go:build cgo

package mediadevices

import "github.com/pion/mediadevices/pkg/driver/camera"

// pion's X11 screen driver ticks at the requested rate itself.
const pionPacesScreens = true

// initializers enumerate pion's drivers built in (screens_x11_linux.go
// adds the X11 screens).
var initializers = []func(){camera.Initialize}
