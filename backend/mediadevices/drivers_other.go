//go:build cgo && (darwin || windows)

package mediadevices

import (
	"github.com/pion/mediadevices/pkg/driver/camera"
	"github.com/pion/mediadevices/pkg/driver/screen"
)

// pion's screen driver here captures as often as it is asked.
const pionPacesScreens = false

var initializers = []func(){camera.Initialize, screen.Initialize}
