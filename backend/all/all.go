// Package all registers every backend miniav has for the platform it is
// built for. Import it for its side effect:
//
//	import _ "github.com/miniav-go/miniav/backend/all"
//
// Registering touches no hardware: devices are enumerated and opened only
// when asked. The exception is macOS and Windows with cgo, where cameras and
// screens also come from pion/mediadevices (backend/mediadevices), whose drivers
// enumerate their devices when the program starts. Programs that want a smaller binary (or no cgo) import the
// backends they need instead.
//
// On Windows the default display is gdi's (devices.Default takes the first
// backend by name whose device is marked default, and "gdi" comes before
// "mediadevices"), so screens are captured by the native GDI path rather than
// pion's screen driver.
package all

import (
	_ "github.com/miniav-go/miniav/backend/gdi"      // Windows screen and window capture (GDI), pure Go; nothing registered elsewhere
	_ "github.com/miniav-go/miniav/backend/malgo"    // audio through miniaudio (cgo); nothing registered without cgo
	_ "github.com/miniav-go/miniav/backend/pipewire" // Wayland screens (ScreenCast portal) and PipeWire video nodes, Linux; Open needs cgo (libpipewire-0.3)
	_ "github.com/miniav-go/miniav/backend/pulse"    // audio from a PulseAudio or PipeWire server, pure Go; not on js/wasm
	_ "github.com/miniav-go/miniav/backend/testsrc"  // synthetic camera, screen and microphone
	_ "github.com/miniav-go/miniav/backend/v4l2"     // V4L2 cameras, 64-bit Linux; nothing registered elsewhere
	_ "github.com/miniav-go/miniav/backend/webmedia" // browser camera, microphone, screen (js/wasm); nothing registered elsewhere
	_ "github.com/miniav-go/miniav/backend/x11"      // X11 screen capture (MIT-SHM), Linux; nothing registered elsewhere
)
