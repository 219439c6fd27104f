//go:build cgo && !linux && !js

package malgo

import "github.com/gen2brain/malgo"

// pulseReachable is the Linux workaround for miniaudio's leak of a failed
// PulseAudio context (see pulseprobe_linux.go); elsewhere it reports nil.
func pulseReachable(string) error { return nil }

// patchPulse is the Linux workaround for miniaudio's leak of a device's
// failed PulseAudio context (see pulseprobe_linux.go).
func patchPulse(*malgo.AllocatedContext) bool { return false }
