//go:build cgo && !linux && !js

package malgo

func quietLibs() {}
