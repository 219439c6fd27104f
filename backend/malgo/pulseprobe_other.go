//go:build cgo && !linux && !js

package malgo

// pulseReachable is the Linux workaround for miniaudio's leak of a failed
// PulseAudio context (see pulseprobe_linux.go); elsewhere it reports nil.
func pulseReachable(string) error { return nil }
