// Package x11 captures X11 screens and windows, registered under the scheme
// "x11". It is pure Go (no cgo) and exists on Linux only; on other systems
// the package is empty. github.com/jezek/xgb does the set-up (screen
// format, RandR monitors, window list and destruction events); the
// per-frame requests go over a second, minimal connection
// (internal/x11wire) that encodes them into fixed buffers and reads the
// replies on the calling goroutine, so a steady-state frame allocates
// nothing and involves no other goroutine. SysV shared memory goes through
// golang.org/x/sys/unix.
//
// Device IDs:
//
//	x11:                  the whole root window of $DISPLAY
//	x11::1                the whole root window of display :1
//	x11::1/monitor/NAME   one RandR 1.5 monitor of display :1 (its area of the root)
//	x11::1/window/0x400001  one top-level window of display :1
//
// Parameters follow the ID after "?": "x11::1?shm=0" forces the plain
// GetImage path instead of MIT-SHM.
//
// Capture goes through MIT-SHM: a ring of SysV segments (three by default,
// Config.Buffers to change; at least two), each marked for removal right
// after the X server attached it, so none outlives the process. A frame is
// a view into its segment (the X server copies the framebuffer into it; the
// process copies nothing) and releasing the frame returns the segment to
// the ring. Segments stay mapped until the last frame lent out is released,
// even after the stream closed. In unpaced display capture up to two
// requests are in flight (one fewer than the buffers) while the consumer
// holds the previous frame; paced capture issues each request at its due
// time so the pixels are fresh. Unpaced capture is bounded by the X
// server's copy of the framebuffer (a memory copy of width·height·4 bytes
// per frame), as it is for every MIT-SHM client.
//
// When MIT-SHM is missing or attaching fails (BadAccess: another IPC
// namespace, a remote display), or with "?shm=0", capture falls back to
// plain GetImage: Info().Mode says so and ZeroCopy is false. Its replies
// are read into a ring of process buffers of the same number, released
// like segments.
//
// The pixel format is BGRX (depth 24 at 32 bits per pixel, the usual
// TrueColor visual); byte 3 is undefined padding (0 on Xvfb), not alpha.
// Other depths are refused with backend.ErrNotSupported. Config.Region
// (screen coordinates) crops display and monitor capture (a region not
// inside the screen or monitor is refused with backend.ErrNotSupported);
// window capture follows the window's size (each frame carries its own
// format) and ends with backend.ErrDeviceLost when the window is
// destroyed, as does every capture when the X server goes away.
// Config.Cursor draws the pointer in from the XFIXES cursor image: the
// image is fetched again only after an XFIXES CursorNotify event says it
// changed; otherwise each frame asks for the pointer position
// (QueryPointer, pipelined with the capture).
//
// Frames are paced on an absolute schedule at Config.Video.FrameRate
// (default 30 fps): frame k is due at start+k/rate; after a stall capture
// resumes at the current frame, leaving a gap in the sequence numbers.
//
// Backend implements backend.Notifier: Changes watches $DISPLAY over its
// own connection, so a devices.Watcher hears at once of top-level windows
// mapped, unmapped or destroyed, of the screen resized and of RandR
// outputs, CRTCs or monitors changing (RRSetMonitor and RRDeleteMonitor
// reach the root as a ConfigureNotify). What changes no device ID is not
// reported: override-redirect windows, moves, resizes and titles. The
// channel closes when the context is done or the X server goes away.
//
// Importing the package sets xgb.Logger to discard xgb's log lines (such
// as the harmless "Could not get authority info").
package x11

// Name is the backend's scheme.
const Name = "x11"
