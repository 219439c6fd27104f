// Package mediadevices puts github.com/pion/mediadevices' camera and screen
// drivers behind miniav's backend interface, registered under the scheme
// "mediadevices". It is how miniav captures video where it has no native
// backend: cameras through AVFoundation on macOS and DirectShow on Windows,
// screens through github.com/kbinani/screenshot there. pion's drivers need
// cgo on every system, so without cgo the package is empty.
//
// On Linux the native v4l2 and x11 backends are better in every way (zero
// copy, hot-plug, controls), so backend/all does not import this package
// there; import it yourself to use pion's Linux camera driver (which needs
// cgo and the kernel headers) or, built with the tag miniav_pionx11, its
// X11 screen driver (which needs libx11-dev and libxext-dev). miniav's own
// tests do both, against the kernel's vivid driver and Xvfb.
//
// Device IDs are "mediadevices:" followed by pion's label of the device:
//
//	mediadevices:video0;video0   a V4L2 camera (Linux)
//	mediadevices:X11Screen0      X11 screen 0 (Linux, tag miniav_pionx11)
//	mediadevices:0               a display (macOS, Windows)
//
// # What differs from the native backends
//
//   - pion registers its drivers from package init functions: importing
//     this package enumerates the cameras and screens when the program
//     starts (pion's design; miniav's own backends touch no device until
//     asked), and Devices lists what pion found then. Rescan enumerates
//     again (a camera plugged in later, an X display started later); there
//     are no hot-plug events.
//   - Every frame is copied, once, into miniav's pooled memory, right after
//     pion's Read and before the next one: pion's release functions do
//     nothing and its drivers reuse their buffers, so a frame handed on
//     without a copy would be overwritten under the consumer. Steady-state
//     capture allocates nothing on miniav's side (pion's own decoders may).
//     Info.ZeroCopy is false and frames carry FlagCopied.
//   - Formats are the planar pictures pion decodes to: 4:2:0 cameras (I420,
//     NV12, NV21 and 4:2:0 MJPEG) are delivered as I420, 4:2:2 cameras
//     (YUYV, UYVY and 4:2:2 MJPEG) as I422, screens as RGBA; the copy is
//     plane by plane. Formats pion does not map (depth, 4:4:4) are not
//     offered. An MJPEG mode is announced as I420; a frame that decodes as
//     4:2:2 says I422 in its own format.
//   - pion's reads cannot be interrupted. A goroutine per stream reads
//     ahead into a queue of Config.Buffers frames (two by default), so Read
//     returns at once when its context is done; a frame that finds the
//     queue full is dropped and counted as an overrun. Close waits for the
//     read in flight: one frame interval, or pion's camera read timeout
//     (5 s, PION_MEDIADEVICES_CAMERA_READ_TIMEOUT) when a camera stalls.
//   - A read error, or the end of pion's stream while it was not being
//     closed, ends the stream with an error matching ErrDeviceLost.
//   - Screens are paced at Config.Video.FrameRate (30 fps by default); Unpaced
//     is honoured only where pion does not pace screens itself (not on
//     Linux, where its driver ticks at the requested rate).
//   - One stream per device; a second Open of the same device returns an
//     error matching ErrBusy. Device controls and windows are not
//     available through pion; asking for a region or the cursor is an
//     error matching ErrNotSupported.
//   - Microphones are not offered: pion's microphone driver panics in its
//     init when miniaudio cannot start, and miniav's malgo backend already
//     captures audio on every system miniaudio supports.
package mediadevices
