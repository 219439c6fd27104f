//go:build cgo && !js && !linux

package malgo

import (
	"time"

	"github.com/gen2brain/malgo"

	"github.com/miniav-go/miniav/format"
)

// fastPath is the C hand-off of Linux; elsewhere the Go callback is used.
type fastPath struct{}

func installFast(*malgo.Device, format.Audio, int) *fastPath { return nil }

func (*fastPath) start()                  {}
func (*fastPath) wait(time.Time) error    { return nil }
func (*fastPath) notify()                 {}
func (*fastPath) pop() (int, bool)        { return 0, false }
func (*fastPath) overruns() uint64        { return 0 }
func (*fastPath) lastData() time.Duration { return 0 }
func (*fastPath) slot(int) ([]byte, int, uint64, time.Duration, bool) {
	return nil, 0, 0, 0, false
}
func (*fastPath) release(uint64) {}
func (*fastPath) close()         {}
