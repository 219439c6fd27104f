package backend

import "time"

// epoch is the zero of every timestamp miniav hands out. It is set once
// when the process starts and never changes.
var epoch = time.Now()

// Now returns the current time on the process-wide epoch that every
// stream's timestamps use, so camera, screen and audio frames align. It is
// monotonic, and fine-grained (well under a millisecond) on every OS.
func Now() time.Duration { return now() }

// Epoch returns the wall-clock time of the epoch, to turn a timestamp into
// wall time: Epoch().Add(ts).
func Epoch() time.Time { return epoch }
