package webmedia

import (
	"sync/atomic"
	"time"
)

// Stats are process-wide counters of the webmedia backend.
type Stats struct {
	// Outstanding is how many pooled frames are lent out and not yet
	// released, over all webmedia streams.
	Outstanding int64
	// Frames is how many frames reached Go; Dropped how many of them were
	// dropped before a stream took them (queue full or pool exhausted).
	Frames, Dropped uint64
	// BrowserCopy is the total time the browser spent in VideoFrame and
	// AudioData copyTo (including RGBA conversion); GoCopy the total time
	// in js.CopyBytesToGo into pooled memory.
	BrowserCopy, GoCopy time.Duration
}

var counters struct {
	frames, dropped     atomic.Uint64
	browserNs, goCopyNs atomic.Int64
}

// ReadStats returns the backend's counters.
func ReadStats() Stats {
	return Stats{
		Outstanding: outstanding(),
		Frames:      counters.frames.Load(),
		Dropped:     counters.dropped.Load(),
		BrowserCopy: time.Duration(counters.browserNs.Load()),
		GoCopy:      time.Duration(counters.goCopyNs.Load()),
	}
}
